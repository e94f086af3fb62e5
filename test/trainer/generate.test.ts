/**
 * @module test/trainer/generate
 * Seed → PNG (shared/render/render) and the `npm run generate` command: the Node file is byte-identical
 * to what the shared pipeline (and so the worker) produces, with `--digit` on a conditional model
 * too (against the hashes the worker test pins), and the same from a run folder or a `.dgm` as
 * from the exported folder; bad input changes nothing on disk.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../shared/codec/sha256'
import { createGenerator, type Generator } from '../../shared/inference/forward'
import { toGray } from '../../shared/inference/gray'
import { sampleLatent } from '../../shared/latent/latent'
import { gridColumns, renderDigitPng, renderGridPng } from '../../shared/render/render'
import { tutorialMlp } from '../../shared/model/presets'
import { decodeWeights, encodeWeights } from '../../shared/model/weights'
import { readArtifact, writeArtifact, writeModelFile } from '../../trainer/export/artifact'
import { CGAN_GOLDEN } from '../edge/fixture-model'
import { decodePng } from '../edge/png-decode'
import { randomTensors } from '../shared/helpers'
import { expectOneLineError, runCli as runCliScript } from './cli-run'

/** Decodes a PNG (test/edge/png-decode: CRCs, all five filters) that must be 8-bit grey. */
function decodeGrayPng(png: Uint8Array): { width: number; height: number; pixels: Uint8Array } {
  const decoded = decodePng(png)
  expect(decoded.channels).toBe(1)
  return decoded
}

function digit(generator: Generator, seed: number): Uint8Array {
  return toGray(generator.run(sampleLatent(seed, generator.latentDim)))
}

/** Runs `npm run generate` (see cli-run.ts). */
const runCli = (args: string[]) => runCliScript('trainer/generate.ts', args)

describe('shared/render/render', () => {
  const model = tutorialMlp()
  const { manifest, payload } = encodeWeights(model, randomTensors(model.generator, 11), { dtype: 'f32' })
  const generator = createGenerator(decodeWeights(manifest, payload))

  it('should encode the seed digit at 28·scale pixels', () => {
    expect(manifest.latentDim).toBe(100)
    const one = decodeGrayPng(renderDigitPng(generator, 42))
    expect([one.width, one.height]).toEqual([28, 28])
    expect(one.pixels).toEqual(digit(generator, 42))
    const big = decodeGrayPng(renderDigitPng(generator, 42, 3))
    expect([big.width, big.height]).toEqual([84, 84])
    expect(big.pixels[(3 * 5 + 2) * 84 + 3 * 7 + 1]).toBe(one.pixels[5 * 28 + 7])
  })

  it('should lay out a grid row-major in ceil(sqrt(n)) columns without padding', () => {
    expect([1, 2, 4, 5, 10, 64].map(gridColumns)).toEqual([1, 2, 2, 3, 4, 8])
    const grid = decodeGrayPng(renderGridPng(generator, 4294967294, 5, 2))
    expect([grid.width, grid.height]).toEqual([3 * 28 * 2, 2 * 28 * 2])
    // Tile 3 (row 1, col 0) holds seed 4294967294 + 3 mod 2^32 = 1.
    const seed1 = digit(generator, 1)
    for (const [y, x] of [[0, 0], [13, 17], [27, 27]]) {
      expect(grid.pixels[(2 * (28 + y)) * grid.width + 2 * x]).toBe(seed1[y * 28 + x])
    }
    // The unused cell (row 1, col 2) is black.
    expect(grid.pixels[(2 * 40) * grid.width + 2 * (56 + 10)]).toBe(0)
  })

  it('should reject bad seeds, scales and counts', () => {
    for (const seed of [-1, 1.5, 2 ** 32, NaN]) {
      expect(() => renderDigitPng(generator, seed)).toThrow(RangeError)
    }
    for (const scale of [0, 17, 2.5]) {
      expect(() => renderDigitPng(generator, 1, scale)).toThrow(RangeError)
    }
    for (const n of [0, -1, 1.5]) expect(() => renderGridPng(generator, 0, n)).toThrow(RangeError)
  })
})

describe('trainer/generate', () => {
  let dir: string
  let modelDir: string

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'generate-'))
    modelDir = join(dir, 'model')
    const model = tutorialMlp()
    writeArtifact(modelDir, { model, tensors: randomTensors(model.generator, 12), dtype: 'q8' })
  })
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  it('should write the same bytes as the shared pipeline', async () => {
    const out = join(dir, '42.png')
    const run = await runCli(['--model', modelDir, '--seed', '42', '--out', out, '--scale', '4'])
    expect(run.stderr).toBe('')
    expect(run.status).toBe(0)
    expect(run.stdout).toContain('seed 42, 112×112')
    const expected = renderDigitPng(createGenerator(readArtifact(modelDir)), 42, 4)
    expect(new Uint8Array(readFileSync(out))).toEqual(expected)
  })

  it('should exit non-zero with one line and write nothing on bad input', async () => {
    const out = join(dir, 'bad.png')
    const file = join(dir, 'a-file')
    writeFileSync(file, 'x')
    const cases = [
      ['--model', modelDir, '--out', out],
      ['--model', modelDir, '--seed', '0x10', '--out', out],
      ['--model', modelDir, '--seed', '-1', '--out', out],
      ['--model', modelDir, '--seed', '4294967296', '--out', out],
      ['--model', modelDir, '--seed', '1', '--out', out, '--scale', '17'],
      ['--model', modelDir, '--seed', '1', '--out', out, '--colour', 'red'],
      ['--model', join(dir, 'missing'), '--seed', '1', '--out', out],
      ['--model', modelDir, '--seed', '1', '--out', join(file, 'x.png')],
      ['--model', modelDir, '--seed', '1', '--out', dir],
    ]
    const runs = await Promise.all(cases.map(runCli))
    for (const [i, args] of cases.entries()) {
      expectOneLineError(runs[i], args.join(' '))
      expect(existsSync(out)).toBe(false)
    }
  })
})

describe('trainer/generate --digit', () => {
  // The committed conditional fixture: the worker serves these URLs with the same pinned hashes.
  const CGAN = 'test/fixtures/tiny-cgan'
  let dir: string

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'generate-digit-'))
  })
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  it('should write the bytes the worker serves for a chosen and a seed-picked digit', async () => {
    const cases = [
      [['--digit', '7'], '/generate?seed=42&digit=7', 'digit 7, '],
      [[], '/generate?seed=42', 'digit 2 (from the seed), '],
      [['--digit', '0', '--scale', '3'], '/generate?seed=4294967295&digit=0&scale=3', 'digit 0'],
    ] as const
    const runs = await Promise.all(
      cases.map(([flags, url], i) => {
        const seed = new URL(url, 'http://x').searchParams.get('seed')!
        return runCli(['--model', CGAN, '--seed', seed, '--out', join(dir, `${i}.png`), ...flags])
      }),
    )
    for (const [i, [, url, said]] of cases.entries()) {
      expect(runs[i].stderr, url).toBe('')
      expect(runs[i].status, url).toBe(0)
      expect(runs[i].stdout).toContain(said)
      expect(sha256Hex(readFileSync(join(dir, `${i}.png`))), url).toBe(CGAN_GOLDEN[url])
    }
  })

  it('should exit 2 with one line on a bad --digit, or on an unconditional model', async () => {
    const out = join(dir, 'bad.png')
    const plain = 'test/fixtures/tiny-model'
    const cases: [string[], RegExp][] = [
      [['--model', plain, '--digit', '7'], /unconditional/],
      [['--model', CGAN, '--digit', '10'], /--digit .*\[0, 9\], but got '10'/],
      [['--model', CGAN, '--digit', '-1'], /--digit/],
      [['--model', CGAN, '--digit', '1.0'], /--digit .*but got '1\.0'/],
      [['--model', CGAN, '--digit', ''], /--digit/],
      [['--model', CGAN, '--digit', 'all'], /--digit .*but got 'all'/],
    ]
    const runs = await Promise.all(
      cases.map(([args]) => runCli([...args, '--seed', '1', '--out', out])),
    )
    for (const [i, [args, message]] of cases.entries()) {
      expectOneLineError(runs[i], args.join(' '), message)
      expect(runs[i].status, args.join(' ')).toBe(2)
    }
    expect(existsSync(out)).toBe(false)
  })
})

describe('trainer/generate --model', () => {
  // The conditional fixture, so --digit is carried through each form too.
  const CGAN = 'test/fixtures/tiny-cgan'
  let dir: string
  let run: string
  let file: string

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'generate-model-'))
    run = join(dir, 'runs', 'cgan')
    mkdirSync(join(run, 'checkpoint'), { recursive: true })
    cpSync(CGAN, join(run, 'generator'), { recursive: true })
    file = join(run, 'generator.dgm')
    writeModelFile(CGAN, file)
  })
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  it('should write the same bytes from a run folder, its export and its .dgm', async () => {
    const models = [CGAN, run, file]
    const outs = models.map((_, i) => join(dir, `${i}.png`))
    const args = ['--seed', '42', '--digit', '7']
    const runs = await Promise.all(
      models.map((model, i) => runCli(['--model', model, ...args, '--out', outs[i]])),
    )
    for (const [i, model] of models.entries()) {
      expect([runs[i].status, runs[i].stderr], model).toEqual([0, ''])
    }
    const [fromFolder, fromRun, fromFile] = outs.map((out) => readFileSync(out))
    expect(fromFolder.length).toBeGreaterThan(0)
    expect(fromRun.equals(fromFolder)).toBe(true)
    expect(fromFile.equals(fromFolder)).toBe(true)
    expect(sha256Hex(fromFile)).toBe(CGAN_GOLDEN['/generate?seed=42&digit=7'])
  })

  it('should exit 2 with one line on a corrupt or cut .dgm, writing nothing', async () => {
    const corrupt = join(dir, 'corrupt.dgm')
    const bytes = readFileSync(file)
    bytes[bytes.length - 1] ^= 1
    writeFileSync(corrupt, bytes)
    const cut = join(dir, 'cut.dgm')
    writeFileSync(cut, readFileSync(file).subarray(0, 100))
    const out = join(dir, 'bad.png')
    const cases: [string, RegExp][] = [
      [corrupt, /^error: Invalid model .*corrupt\.dgm: Expected the payload's sha256/],
      [cut, /^error: Invalid model .*cut\.dgm: Expected a manifest of \d+ bytes/],
      [join(dir, 'missing.dgm'), /^error: Expected --model to name .*missing\.dgm does not exist/],
    ]
    const runs = await Promise.all(
      cases.map(([model]) => runCli(['--model', model, '--seed', '1', '--out', out])),
    )
    for (const [i, [model, message]] of cases.entries()) {
      expectOneLineError(runs[i], model, message)
      expect(runs[i].status, model).toBe(2)
    }
    expect(existsSync(out)).toBe(false)
  })
})
