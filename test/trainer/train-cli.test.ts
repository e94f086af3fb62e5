/**
 * @module test/trainer/train-cli
 * `npm run train` as a user runs it: a tiny end-to-end run leaves every output, a resume through
 * the CLI reproduces the uninterrupted run, and bad input exits non-zero with one line on stderr
 * without touching an existing run.
 */
import { spawnSync } from 'node:child_process'
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { MNIST_FILES } from '../../trainer/run/data'
import { writeTinyMnist } from './fixtures'

const ROOT = resolve(import.meta.dirname, '../..')
const TSX = join(ROOT, 'node_modules/tsx/dist/cli.mjs')

function train(args: string[]) {
  const r = spawnSync(process.execPath, [TSX, 'trainer/train.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, DEBUG: '' },
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

const losses = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const { step, dLoss, dAcc, gLoss } = JSON.parse(line)
      return { step, dLoss, dAcc, gLoss }
    })

let data: string
let work: string
const base = () => [
  '--backend',
  'wasm',
  '--batch',
  '8',
  '--data-dir',
  data,
  '--log-every',
  '2',
  '--bn-batches',
  '1',
]

beforeAll(() => {
  data = writeTinyMnist(32)
  work = mkdtempSync(join(tmpdir(), 'digit-gan-cli-'))
})

describe('npm run train', () => {
  it('should leave every output of a run', () => {
    const out = join(work, 'full')
    const r = train([...base(), '--steps', '4', '--sample-every', '2', '--out', out])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/backend: wasm/)
    expect(r.stdout).toMatch(/step 4: dLoss \d\.\d{4} dAcc \d\.\d\d gLoss \d\.\d{4} [\d.]+ms/)
    // BatchNorm's moving statistics, not --ema's weight average (off here): no "EMA" in the log.
    expect(r.stdout).toMatch(/\(with the moving statistics from training: \d\.\d{4}\)/)
    expect(r.stdout).not.toMatch(/EMA/)
    for (const f of [
      'config.json',
      'metrics.jsonl',
      'losses.svg',
      'generator.onnx',
      'generator/manifest.json',
      'generator/weights.bin',
      'checkpoint/state.json',
      'checkpoint/tensors.bin',
    ]) {
      expect(existsSync(join(out, f)), f).toBe(true)
    }
    expect(readdirSync(join(out, 'samples'))).toEqual(['step-000002.png', 'step-000004.png'])
    expect(losses(out).map((m) => m.step)).toEqual([2, 4])
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))).toMatchObject({
      steps: 4,
      batch: 8,
    })
  })

  it('should reproduce the uninterrupted run when resumed', () => {
    const straight = join(work, 'straight')
    const split = join(work, 'split')
    expect(train([...base(), '--steps', '6', '--out', straight]).code).toBe(0)
    expect(train([...base(), '--steps', '2', '--out', split]).code).toBe(0)
    const r = train(['--resume', split, '--steps', '6', '--backend', 'wasm'])
    expect(r.stderr).toBe('')
    expect(r.stdout).toMatch(/resuming .* at step 2/)
    expect(losses(split)).toEqual(losses(straight))
  })

  it.each([
    ['an unknown flag', ['--learning-rate', '1']],
    ['a bad value', ['--steps', 'many']],
    ['a missing data folder', ['--data-dir', '/nonexistent/mnist']],
    ['a batch larger than the data', ['--batch', '64']],
  ])('should exit non-zero with one line for %s', (_, args) => {
    const r = train([...base(), ...args, '--out', join(work, 'never')])
    expect(r.code).not.toBe(0)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/^error: (Expected |Unknown option )/)
    expect(existsSync(join(work, 'never'))).toBe(false)
  })

  it('should name a corrupt data file', () => {
    const bad = writeTinyMnist(16)
    const path = join(bad, MNIST_FILES.train.images)
    writeFileSync(path, readFileSync(path).subarray(0, 1000))
    const r = train([...base(), '--data-dir', bad, '--out', join(work, 'never2')])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/train-images-idx3-ubyte/)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
  })

  it('should refuse an unwritable --out', () => {
    const file = join(work, 'a-file')
    writeFileSync(file, 'x')
    const r = train([...base(), '--steps', '2', '--out', join(file, 'run')])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/^error: Expected --out .* to be a writable folder, but got ENOTDIR/)
  })

  it('should not touch an existing run on a mismatched resume or a fresh run into it', () => {
    const out = join(work, 'full')
    const before = statSync(join(out, 'metrics.jsonl')).mtimeMs
    const mismatch = train(['--resume', out, '--steps', '8', '--batch', '16', '--backend', 'wasm'])
    expect(mismatch.code).not.toBe(0)
    expect(mismatch.stderr).toMatch(/Expected --batch to match the checkpoint .* \(8\), but got 16/)
    const fresh = train([...base(), '--steps', '2', '--out', out])
    expect(fresh.code).not.toBe(0)
    expect(fresh.stderr).toMatch(/holds a run; continue it with --resume/)
    const missing = train(['--resume', join(work, 'nothing-here')])
    expect(missing.code).not.toBe(0)
    expect(missing.stderr).toMatch(/Expected a checkpoint at/)
    expect(statSync(join(out, 'metrics.jsonl')).mtimeMs).toBe(before)
  })
})
