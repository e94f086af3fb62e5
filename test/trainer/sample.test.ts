/**
 * @module test/trainer/sample
 * `npm run sample`: the `.f32` format (size, range, seed → the values the worker computes), the PNG
 * grid, `--digit` on a conditional model, `--model` as a run folder or a `.dgm`, and bad input
 * that exits non-zero without writing anything.
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
import { sampleLatent } from '../../shared/latent/latent'
import { renderGridPng } from '../../shared/render/render'
import { tutorialMlp } from '../../shared/model/presets'
import { readArtifact, writeArtifact, writeModelFile } from '../../trainer/export/artifact'
import { float32LeBytes, sampleImages } from '../../trainer/sample'
import { CGAN_GOLDEN } from '../edge/fixture-model'
import { randomTensors } from '../shared/helpers'
import { expectOneLineError, runCli as runCliScript } from './cli-run'

/** Runs `npm run sample` (see cli-run.ts). */
const runCli = (args: string[]) => runCliScript('trainer/sample.ts', args)

describe('trainer/sample', () => {
  let dir: string
  let modelDir: string
  let generator: Generator

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sample-'))
    modelDir = join(dir, 'model')
    const model = tutorialMlp()
    writeArtifact(modelDir, { model, tensors: randomTensors(model.generator, 21), dtype: 'f32' })
    generator = createGenerator(readArtifact(modelDir))
  })
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  it('should return the generator output for each consecutive seed, wrapping at 2^32', () => {
    const x = sampleImages(generator, 4294967295, 3)
    expect(x.length).toBe(3 * 784)
    for (const [i, seed] of [4294967295, 0, 1].entries()) {
      const expected = generator.run(sampleLatent(seed, 100))
      expect(x.subarray(i * 784, (i + 1) * 784)).toEqual(expected)
    }
  })

  it('should write N·784 little-endian float32s in [-1, 1] for seeds S..S+N−1', async () => {
    const out = join(dir, 'x.f32')
    const run = await runCli(['--model', modelDir, '--n', '5', '--seed-start', '40', '--out', out])
    expect(run.stderr).toBe('')
    expect(run.status).toBe(0)
    const bytes = readFileSync(out)
    expect(bytes.length).toBe(5 * 784 * 4)
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const values = Float32Array.from({ length: 5 * 784 }, (_, i) => view.getFloat32(i * 4, true))
    expect(values.every((v) => v >= -1 && v <= 1)).toBe(true)
    expect(new Set(values).size).toBeGreaterThan(1000)
    for (let i = 0; i < 5; i++) {
      const expected = generator.run(sampleLatent(40 + i, 100))
      expect(values.subarray(i * 784, (i + 1) * 784)).toEqual(expected)
    }
  })

  it('should default to seeds from 0 and write a PNG grid for .png', async () => {
    const out = join(dir, 'grid.png')
    const run = await runCli(['--model', modelDir, '--n', '10', '--out', out])
    expect(run.status).toBe(0)
    expect(new Uint8Array(readFileSync(out))).toEqual(renderGridPng(generator, 0, 10))
  })

  it('should exit non-zero with one line and write nothing on bad input', async () => {
    const out = join(dir, 'bad.f32')
    const file = join(dir, 'a-file')
    writeFileSync(file, 'x')
    const folder = join(dir, 'folder.f32')
    mkdirSync(folder)
    const cases = [
      ['--model', join(dir, 'missing'), '--n', '2', '--out', out],
      ['--model', modelDir, '--n', '0', '--out', out],
      ['--model', modelDir, '--n', '1.5', '--out', out],
      ['--model', modelDir, '--n', 'ten', '--out', out],
      ['--model', modelDir, '--n', '100001', '--out', out],
      ['--model', modelDir, '--out', out],
      ['--model', modelDir, '--n', '2'],
      ['--model', modelDir, '--n', '2', '--out', out, '--seed-start', '-3'],
      ['--model', modelDir, '--n', '2', '--out', out, '--count', '3'],
      ['--model', modelDir, '--n', '2', '--out', join(dir, 'bad.txt')],
      ['--model', modelDir, '--n', '2', '--out', join(file, 'x.f32')],
      ['--model', modelDir, '--n', '2', '--out', folder],
    ]
    const runs = await Promise.all(cases.map(runCli))
    for (const [i, args] of cases.entries()) {
      expectOneLineError(runs[i], args.join(' '))
      expect(existsSync(out)).toBe(false)
      expect(existsSync(join(dir, 'bad.txt'))).toBe(false)
    }
  })
})

describe('trainer/sample --digit', () => {
  const CGAN = 'test/fixtures/tiny-cgan'
  let dir: string
  let generator: Generator

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sample-digit-'))
    generator = createGenerator(readArtifact(CGAN))
  })
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  it('should draw the digit for every seed, or each seed its own (seed mod 10)', async () => {
    const sevens = join(dir, 'sevens.f32')
    const own = join(dir, 'own.f32')
    const grid = join(dir, 'threes.png')
    const runs = await Promise.all([
      runCli(['--model', CGAN, '--n', '3', '--seed-start', '8', '--digit', '7', '--out', sevens]),
      runCli(['--model', CGAN, '--n', '3', '--seed-start', '8', '--out', own]),
      runCli(['--model', CGAN, '--n', '16', '--seed-start', '1', '--digit', '3', '--out', grid]),
    ])
    for (const run of runs) expect([run.status, run.stderr]).toEqual([0, ''])
    expect(runs[0].stdout).toContain('digit 7')
    const floats = (path: string) => {
      const bytes = readFileSync(path)
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      return Float32Array.from({ length: bytes.length / 4 }, (_, i) => view.getFloat32(4 * i, true))
    }
    for (const [i, seed] of [8, 9, 10].entries()) {
      const z = sampleLatent(seed, 8)
      const at = (x: Float32Array) => x.subarray(i * 784, (i + 1) * 784)
      expect(at(floats(sevens))).toEqual(generator.run(z, 7))
      expect(at(floats(own))).toEqual(generator.run(z, seed % 10))
    }
    expect(sampleImages(generator, 8, 3)).toEqual(floats(own))
    // The grid is the worker's /grid?seed=1&n=16&digit=3, byte for byte.
    expect(sha256Hex(readFileSync(grid))).toBe(CGAN_GOLDEN['/grid?seed=1&n=16&digit=3'])
  })

  it('should exit 2 with one line for --digit on an unconditional model, or too big', async () => {
    const out = join(dir, 'bad.f32')
    const runs = await Promise.all([
      runCli(['--model', 'test/fixtures/tiny-model', '--n', '2', '--digit', '1', '--out', out]),
      runCli(['--model', CGAN, '--n', '2', '--digit', '10', '--out', out]),
    ])
    expectOneLineError(runs[0], 'unconditional', /^error: Expected no --digit: .* unconditional/)
    expectOneLineError(runs[1], '--digit 10', /--digit/)
    for (const run of runs) expect(run.status).toBe(2)
    expect(existsSync(out)).toBe(false)
  })
})

describe('trainer/sample --model', () => {
  const CGAN = 'test/fixtures/tiny-cgan'
  let dir: string
  let generator: Generator

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sample-model-'))
    generator = createGenerator(readArtifact(CGAN))
  })
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  it('should read a run folder and a .dgm as the model exported in them', async () => {
    const run = join(dir, 'runs', 'cgan')
    cpSync(CGAN, join(run, 'generator'), { recursive: true })
    const file = join(dir, 'cgan.dgm')
    writeModelFile(CGAN, file)
    const outs = [join(dir, 'run.f32'), join(dir, 'file.f32')]
    const runs = await Promise.all(
      [run, file].map((model, i) =>
        runCli(['--model', model, '--n', '4', '--seed-start', '5', '--out', outs[i]]),
      ),
    )
    for (const r of runs) expect([r.status, r.stderr]).toEqual([0, ''])
    const expected = Buffer.from(float32LeBytes(sampleImages(generator, 5, 4)))
    for (const out of outs) expect(readFileSync(out).equals(expected), out).toBe(true)
  })
})
