/**
 * @module test/trainer/export/onnx-example
 * examples/onnx/ run as a user runs them: `to-onnx.ts` turns a shipped artifact into ONNX,
 * `generate.ts` draws a digit from it with onnxruntime, and the PNG it writes matches the
 * project's own engine (the worker's pixels) within one grey level. `generate.py` gets the same
 * check where Python has onnxruntime and numpy; elsewhere it is skipped, saying why.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGenerator, type Generator } from '../../../shared/inference/forward'
import { sampleLatent } from '../../../shared/latent/latent'
import { readArtifact } from '../../../trainer/export/artifact'
import { loadKernel } from '../../../trainer/kernel'
import { decodePng } from '../../edge/png-decode'
import { runCli } from '../cli-run'

const python = spawnSync('python3', ['-c', 'import onnxruntime, numpy'], { encoding: 'utf8' })
const pythonMissing = python.error ? 'no python3' : python.status !== 0 ? python.stderr.trim() : ''

/** Largest |a − b| over two grey images. */
function maxGreyDiff(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length)
  let max = 0
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]))
  return max
}

describe('examples/onnx', () => {
  let dir: string
  const engines = new Map<string, Generator>()

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'onnx-example-'))
    for (const name of ['default', 'seed-mlp']) {
      engines.set(name, createGenerator(readArtifact(`models/${name}`), { kernel: loadKernel() }))
      const run = await runCli('examples/onnx/to-onnx.ts', [
        `models/${name}`,
        join(dir, `${name}.onnx`),
      ])
      expect(run.stderr).toBe('')
      expect(run.status).toBe(0)
    }
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  /** Runs generate.ts and returns its PNG's pixels and its stdout. */
  async function generate(model: string, args: string[]) {
    const out = join(dir, `${model}-${args.join('_')}.png`)
    const run = await runCli('examples/onnx/generate.ts', [
      join(dir, `${model}.onnx`),
      ...args,
      '--out',
      out,
    ])
    expect(run.stderr).toBe('')
    expect(run.status).toBe(0)
    const png = decodePng(readFileSync(out))
    expect([png.width, png.height]).toEqual([28, 28])
    return { pixels: png.pixels, stdout: run.stdout }
  }

  it('should draw the worker digit of a seed from the conditional default, ±1 grey', async () => {
    const engine = engines.get('default')!
    for (const [seed, digit] of [
      [42, undefined],
      [7, 3],
    ] as const) {
      const args = ['--seed', String(seed)]
      if (digit !== undefined) args.push('--digit', String(digit))
      const { pixels, stdout } = await generate('default', args)
      const label = digit ?? seed % 10
      expect(stdout).toContain(`seed ${seed}, digit ${label}`)
      const expected = engine.runGray(sampleLatent(seed, 100), label)
      expect(maxGreyDiff(pixels, expected)).toBeLessThanOrEqual(1)
      // A digit, not a blank: a good share of the pixels is ink.
      expect(expected.filter((v) => v > 128).length).toBeGreaterThan(50)
    }
  })

  it('should draw the unconditional model and refuse --digit for it in one line', async () => {
    const { pixels } = await generate('seed-mlp', ['--seed', '5'])
    const expected = engines.get('seed-mlp')!.runGray(sampleLatent(5, 100))
    expect(maxGreyDiff(pixels, expected)).toBeLessThanOrEqual(1)
    const run = await runCli('examples/onnx/generate.ts', [
      join(dir, 'seed-mlp.onnx'),
      '--digit',
      '3',
    ])
    expect(run.status).toBe(2)
    expect(run.stderr).toBe('error: Expected no --digit: this model is unconditional.\n')
  })

  it('should refuse to-onnx.ts without its two arguments', async () => {
    const run = await runCli('examples/onnx/to-onnx.ts', ['models/default'])
    expect(run.status).toBe(2)
    expect(run.stderr).toMatch(/^error: Expected two arguments, MODEL_DIR OUT.onnx/)
  })

  it.skipIf(pythonMissing !== '')(
    `should draw the same digit from Python's onnxruntime (${pythonMissing || 'available'})`,
    async () => {
      const latent = join(dir, 'z42.f32')
      const node = await runCli('examples/onnx/generate.ts', [
        join(dir, 'default.onnx'),
        '--seed',
        '42',
        '--save-latent',
        latent,
      ])
      expect(node.status).toBe(0)
      const out = join(dir, 'py42.png')
      const script = 'examples/onnx/generate.py'
      const args = [script, join(dir, 'default.onnx'), '--latent', latent, '--digit', '2']
      const py = spawnSync('python3', [...args, '--out', out], { encoding: 'utf8' })
      expect(py.stderr).toBe('')
      expect(py.status).toBe(0)
      const expected = engines.get('default')!.runGray(sampleLatent(42, 100), 2)
      expect(maxGreyDiff(decodePng(readFileSync(out)).pixels, expected)).toBeLessThanOrEqual(1)
    },
  )
})
