/**
 * @module test/trainer/cli-commands
 * Every command as a user runs it, in a subprocess with a time limit (a hang is killed and fails
 * the test): `--help` lists exactly the flags its parser takes, an output path that cannot be
 * written (under /proc, where Node's recursive mkdir used to spin forever, or under a file) fails
 * at once with one line and leaves nothing behind, a bad `--model` (missing, or a corrupt `.dgm`)
 * is exit code 2 and one line from every command that reads one, a negative number gets the
 * flag's range, and a run that fails its backend check leaves no run folder.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EDGE_BENCH_FLAGS } from '../../tools/bench-edge'
import { BENCH_FLAGS } from '../../tools/bench-train'
import { TRAIN_FLAGS } from '../../trainer/config'
import { EVAL_FLAGS } from '../../trainer/eval/eval'
import { writeModelFile } from '../../trainer/export/artifact'
import { EXPORT_FLAGS } from '../../trainer/export/export'
import { kebab, type FlagTable } from '../../trainer/flags'
import { GENERATE_FLAGS } from '../../trainer/generate'
import { SAMPLE_FLAGS } from '../../trainer/sample'
import { CLASSIFIER_FLAGS } from '../../trainer/eval/train-classifier'
import { expectOneLineError, runCli, type CliRun } from './cli-run'
import { writeTinyMnist } from './fixtures'

/** Long enough for a loaded 2-core machine to start tsx and tfjs; a hang runs into it. */
const LIMIT_MS = 45_000

/** npm script → its entry file and the flag table its parser is given. */
const COMMANDS: [string, string, FlagTable][] = [
  ['train', 'trainer/train.ts', TRAIN_FLAGS],
  ['export', 'trainer/export/export.ts', EXPORT_FLAGS],
  ['generate', 'trainer/generate.ts', GENERATE_FLAGS],
  ['sample', 'trainer/sample.ts', SAMPLE_FLAGS],
  ['eval', 'trainer/eval/eval.ts', EVAL_FLAGS],
  ['train:classifier', 'trainer/eval/train-classifier.ts', CLASSIFIER_FLAGS],
  ['bench:train', 'tools/bench-train.ts', BENCH_FLAGS],
  ['bench:edge', 'tools/bench-edge.ts', EDGE_BENCH_FLAGS],
]

const run = (script: string, args: string[], env?: Record<string, string>) =>
  runCli(script, args, { timeoutMs: LIMIT_MS, env })

/** Finished by itself (not killed), non-zero, one `error: Expected …` line on stderr. */
const expectExpectedError = (r: CliRun, what: string) =>
  expectOneLineError(r, what, /^error: Expected /)

let work: string
let file: string
let data: string
/** test/fixtures/tiny-model as a `.dgm` with one payload bit flipped. */
let corrupt: string

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'digit-gan-cli-commands-'))
  file = join(work, 'a-file')
  writeFileSync(file, 'x')
  data = writeTinyMnist(16)
  corrupt = join(work, 'corrupt.dgm')
  writeModelFile('test/fixtures/tiny-model', corrupt)
  const bytes = readFileSync(corrupt)
  bytes[bytes.length - 1] ^= 1
  writeFileSync(corrupt, bytes)
})
afterAll(() => {
  rmSync(work, { recursive: true, force: true })
  rmSync(data, { recursive: true, force: true })
})

describe('--help', () => {
  it.each(COMMANDS)('should list exactly the flags npm run %s parses', async (_, script, flags) => {
    const r = await run(script, ['--help'])
    expect(r.signal).toBeNull()
    expect(r.status).toBe(0)
    expect(r.stderr).toBe('')
    expect(r.stdout).toMatch(/^Usage: .*npm run /m)
    const lines = r.stdout.split('\n').filter((line) => /^ {2}--/.test(line))
    const listed = lines.map((line) => line.trim().split(/[ ,]/)[0])
    expect(listed).toEqual([...Object.keys(flags).map((key) => `--${kebab(key)}`), '--help'])
    for (const [i, [key, spec]] of Object.entries(flags).entries()) {
      expect(lines[i], key).toContain(spec.description)
      const shown = spec.shownDefault ?? (spec.default === '' ? undefined : spec.default)
      if (spec.required) expect(lines[i], key).toContain('[required]')
      else if (shown !== undefined) expect(lines[i], key).toContain(`[default: ${shown}]`)
    }
  })
})

describe('an output path that cannot be written', () => {
  // Each command's output flag, with what else it needs to get as far as writing.
  const cases: [string, string, (out: string) => string[]][] = [
    ['train', 'trainer/train.ts', (out) => ['--out', out, '--steps', '1', '--backend', 'wasm']],
    ['export', 'trainer/export/export.ts', (out) => ['--run', out]],
    ['generate', 'trainer/generate.ts', (out) => ['--seed', '1', '--out', `${out}.png`]],
    ['sample', 'trainer/sample.ts', (out) => ['--n', '2', '--out', `${out}.f32`]],
    ['eval --json', 'trainer/eval/eval.ts', (out) => ['--model', 'models/default', '--json', out]],
    ['eval --record', 'trainer/eval/eval.ts', (out) => ['--model', out, '--record']],
    ['train:classifier', 'trainer/eval/train-classifier.ts', (out) => ['--out', out]],
  ]

  it.each(cases)('should stop %s at once with one line', async (what, script, args) => {
    const [proc, underFile] = await Promise.all([
      run(script, args('/proc/digit-gan-x/y')),
      run(script, args(join(file, 'sub'))),
    ])
    expectExpectedError(proc, `${what} under /proc`)
    expectExpectedError(underFile, `${what} under a file`)
    expect(existsSync('/proc/digit-gan-x')).toBe(false)
    // export's --run and eval's --model are read before anything is written: a path that is not
    // there is reported as missing, not as unwritable.
    if (what === 'eval --record') {
      expect(proc.stderr).toContain('/proc/digit-gan-x/y does not exist')
    }
    if (what !== 'export' && what !== 'eval --record') {
      expect(proc.stderr).toMatch(/ENOENT at \/proc\/digit-gan-x/)
      expect(underFile.stderr).toMatch(/ENOTDIR at .*a-file/)
    }
  })

  it('should leave no folder behind when the command fails after checking it', async () => {
    // The check makes `new/deeper` to write a probe in it, then removes both; the missing model
    // then stops the command.
    const out = join(work, 'new', 'deeper', 'x.png')
    const model = join(work, 'no-model')
    const r = await run('trainer/generate.ts', ['--model', model, '--seed', '1', '--out', out])
    expectExpectedError(r, 'generate with a missing model')
    expect(r.stderr).toContain('no-model')
    expect(existsSync(join(work, 'new'))).toBe(false)
  })
})

describe('a bad --model', () => {
  // Each command that reads a model (trainer/model-source), with what else it needs to get there.
  const commands: [string, string, (out: string) => string[]][] = [
    ['generate', 'trainer/generate.ts', (out) => ['--seed', '1', '--out', `${out}.png`]],
    ['sample', 'trainer/sample.ts', (out) => ['--n', '2', '--out', `${out}.f32`]],
    ['eval', 'trainer/eval/eval.ts', (out) => ['--record', '--json', `${out}.json`]],
  ]
  it.each(commands)('should stop %s with exit code 2 and one line', async (what, script, args) => {
    const out = join(work, `unwritten-${what}`)
    const [missing, bad] = await Promise.all([
      run(script, ['--model', join(work, 'no-model.dgm'), ...args(out)]),
      run(script, ['--model', corrupt, ...args(out)]),
    ])
    expectOneLineError(missing, `${what}, missing`, /^error: Expected --model to name .* does not/)
    expectOneLineError(bad, `${what}, corrupt`, /^error: Invalid model .*corrupt\.dgm: Expected /)
    expect([missing.status, bad.status]).toEqual([2, 2])
    expect(readdirSync(work).filter((f) => f.startsWith('unwritten'))).toEqual([])
  })
})

describe('a negative number', () => {
  const GEN_SEED = "--seed to be a base-10 integer in [0, 4294967295], but got '-1'"
  it.each([
    ['trainer/train.ts', ['--steps', '-5'], "--steps to be an integer >= 1, but got '-5'"],
    ['trainer/train.ts', ['--seed', '-1'], "--seed to be an integer >= 0 and <= 4294967295"],
    ['trainer/generate.ts', ['--seed', '-1', '--out', 'x.png'], GEN_SEED],
    ['trainer/sample.ts', ['--n', '-2', '--out', 'x.f32'], "--n to be an integer >= 1 and <="],
    ['trainer/eval/eval.ts', ['--model', 'models/default', '--n', '-1'], "--n to be an integer >= 2"],
    ['trainer/eval/train-classifier.ts', ['--epochs', '-1'], "--epochs to be an integer >= 1"],
    ['trainer/export/export.ts', ['--run', 'runs/x', '--bn-batches', '-1'], '--bn-batches'],
    ['tools/bench-train.ts', ['--steps', '-1'], "--steps to be an integer >= 1, but got '-1'"],
    ['tools/bench-edge.ts', ['--rounds', '-1'], "--rounds to be an integer >= 1, but got '-1'"],
  ])('should get the range of %s %j', async (script, args, message) => {
    const r = await run(script, args)
    expectExpectedError(r, args.join(' '))
    expect(r.stderr).toContain(message)
    expect(r.stderr).not.toContain('ambiguous')
  })
})

/** Whether the optional tfjs-node peer dependency is installed (then `tensorflow` would start). */
function tfjsNodeInstalled(): boolean {
  const require = createRequire(import.meta.url)
  return ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'].some((pkg) => {
    try {
      return require.resolve(pkg) !== ''
    } catch {
      return false
    }
  })
}

describe('a run that fails its backend check', () => {
  const cases: [string, Record<string, string>][] = [
    // Dawn finds no Vulkan driver to offer an adapter when the driver list names none.
    ['webgpu', { VK_ICD_FILENAMES: '/nonexistent.json', VK_DRIVER_FILES: '/nonexistent.json' }],
    ...(tfjsNodeInstalled() ? [] : [['tensorflow', {}] as [string, Record<string, string>]]),
  ]
  it.each(cases)('should leave no run folder behind (--backend %s)', async (backend, env) => {
    const out = join(work, `run-${backend}`, 'run')
    const args = ['--backend', backend, '--data-dir', data, '--batch', '8', '--steps', '1']
    const r = await run('trainer/train.ts', [...args, '--out', out], env)
    expect(r.signal).toBeNull()
    expect(r.status).not.toBe(0)
    // Dawn may print its own warnings first; ours is the last line.
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^error: Expected .*(adapter|tfjs-node)/)
    expect(existsSync(join(work, `run-${backend}`))).toBe(false)
  })
})
