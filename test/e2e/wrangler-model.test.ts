/**
 * @module test/e2e/wrangler-model
 * tools/wrangler.ts, behind `npm start`, `npm run build:edge` and `npm run deploy`:
 * - `--model` takes a run folder, an exported folder or a single-file model (the reader,
 *   trainer/model-source, has its own test: test/trainer/model-source); the worker it starts
 *   serves `/generate?seed=42` with the bytes of `npm run generate` on that model, and starts
 *   offline without wrangler's `Request.cf` fetch error; the worker is named after the run or file;
 * - a build bundles that model's weights and nothing else;
 * - a bundle over the 1 MiB budget fails with one line naming size, budget and remedy, unless
 *   allowed; a bad `--model` fails with one line before wrangler runs.
 * The fixture is test/fixtures/tiny-model in its three forms; the over-budget model is the
 * tutorial MLP with random f32 weights (about 2 MiB gzip).
 */
import { execFile } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDevServer } from '../../tools/dev-server'
import { tutorialMlp } from '../../shared/model/presets'
import { encodeWeights } from '../../shared/model/weights'
import { writeModelFile } from '../../trainer/export/artifact'
import { readModelSource } from '../../trainer/model-source'
import { workerName } from '../../tools/wrangler'
import { randomTensors } from '../shared/helpers'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const FIXTURE = 'test/fixtures/tiny-model'
let tmp: string
/** The three forms of the fixture: a run folder, the export itself and a single file. */
let forms: { run: string; export: string; file: string }
let big: string

interface Exit {
  code: number
  stdout: string
  stderr: string
}

/** Runs a script of the repository with tsx, as the npm scripts do; never rejects. */
function tsx(args: string[], env: Record<string, string> = {}): Promise<Exit> {
  return new Promise((resolve) => {
    const rest = { ...process.env }
    delete rest.MODEL
    delete rest.CLOUDFLARE_ENV
    delete rest.ALLOW_OVER_BUDGET
    execFile(
      process.execPath,
      ['--import', 'tsx', ...args],
      { cwd: ROOT, env: { ...rest, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', ...env } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0
        resolve({ code, stdout, stderr })
      },
    )
  })
}

/** `npm run deploy -- --dry-run --outdir <tmp>/<name> …`: a build, nothing uploaded. */
async function dryRun(name: string, args: string[], env?: Record<string, string>) {
  const outdir = join(tmp, name)
  const exit = await tsx(
    ['tools/wrangler.ts', 'deploy', '--dry-run', '--outdir', outdir, ...args],
    env,
  )
  const bins = exit.code === 0 ? readdirSync(outdir).filter((f) => f.endsWith('.bin')) : []
  return { ...exit, weights: bins.map((f) => readFileSync(join(outdir, f))) }
}

/** The last line on stderr, which must be the only one the wrapper wrote. */
function lastLine(text: string): string {
  return text.trimEnd().split('\n').at(-1) ?? ''
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'digit-gan-wrangler-'))
  const run = join(tmp, 'runs', 'tiny-run')
  mkdirSync(join(run, 'checkpoint'), { recursive: true })
  cpSync(join(ROOT, FIXTURE), join(run, 'generator'), { recursive: true })
  const file = join(tmp, 'tiny.dgm')
  writeModelFile(join(ROOT, FIXTURE), file)
  forms = { run, export: join(ROOT, FIXTURE), file }

  const model = tutorialMlp()
  const tensors = randomTensors(model.generator, 1)
  const { manifest, payload } = encodeWeights(model, tensors, { dtype: 'f32', compress: true })
  big = join(tmp, 'big')
  mkdirSync(big)
  writeFileSync(join(big, 'weights.bin'), payload)
  writeFileSync(join(big, 'manifest.json'), JSON.stringify(manifest))
})

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true })
})

describe('tools/wrangler --model', () => {
  it('should name the worker after the run or the file', () => {
    // What tools/wrangler names: the run a model came from, else the path itself.
    const [run, exported, file] = [forms.run, join(forms.run, 'generator'), forms.file]
      .map(readModelSource)
      .map((source) => workerName(source.runDir ?? source.path))
    expect([run, exported, file]).toEqual(['tiny-run', 'tiny-run', 'tiny'])
    expect(workerName(forms.export)).toBe('tiny-model')
    expect(workerName('runs/My CGAN_2/generator.dgm')).toBe('my-cgan-2')
    expect(workerName('runs/--/')).toBe('model')
  })

  it('should serve a single-file model with the bytes of npm run generate', async () => {
    const out = join(tmp, '42.png')
    // vitest sets NODE_ENV=test, under which miniflare never fetches cf.json; a shell does not.
    const cli = ['trainer/generate.ts', '--model', FIXTURE, '--seed', '42', '--out', out]
    const generating = tsx(cli)
    const nodeEnv = process.env.NODE_ENV
    delete process.env.NODE_ENV
    const server = await startDevServer({ model: forms.file }).finally(() => {
      if (nodeEnv !== undefined) process.env.NODE_ENV = nodeEnv
    })
    try {
      const generate = await generating
      expect(generate.code, generate.stderr).toBe(0)
      const res = await server.fetch('/generate?seed=42')
      expect(res.status, server.logs()).toBe(200)
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(new Uint8Array(readFileSync(out)))
      const sha = readModelSource(forms.file).weights.manifest.payload.sha256
      expect(res.headers.get('X-Model')).toBe(sha)
      // Offline, wrangler would print an ENOTFOUND stack for it (the start script turns it off).
      expect(server.logs()).not.toContain('Request.cf')
    } finally {
      await server.stop()
    }
  })

  it('should bundle a run folder with its weights alone, under the budget', async () => {
    const build = await dryRun('run', ['--model', forms.run])
    expect(build.code, build.stderr).toBe(0)
    expect(build.stdout).toMatch(/Total Upload: .* gzip: [0-9.]+ KiB/)
    expect(build.weights).toHaveLength(1)
    expect(build.weights[0].equals(readFileSync(join(ROOT, FIXTURE, 'weights.bin')))).toBe(true)
  })

  it('should refuse a bundle over 1 MiB gzip in one line, unless allowed', async () => {
    const refused = await dryRun('big', ['--model', big])
    expect(refused.code).toBe(1)
    const line = lastLine(refused.stderr)
    expect(line).toMatch(/^error: the worker bundle is [0-9]+\.[0-9]{2} KiB gzip, over the 1 MiB /)
    expect(line).toContain('export it in a smaller dtype (npm run export -- --run DIR --dtype q14)')
    expect(line).toMatch(/or allow it with --allow-over-budget \(ALLOW_OVER_BUDGET=1\)\.$/)
    const allowed = await dryRun('big-allowed', ['--model', big], { ALLOW_OVER_BUDGET: '1' })
    expect(allowed.code, allowed.stderr).toBe(0)
    expect(allowed.stderr).toContain('allowed by --allow-over-budget')
  })

  it('should reject a bad --model with one line and exit 2, before wrangler runs', async () => {
    const corrupt = join(tmp, 'corrupt.dgm')
    const bytes = readFileSync(forms.file)
    bytes[bytes.length - 1] ^= 1
    writeFileSync(corrupt, bytes)
    const cases: [string, string][] = [
      [join(tmp, 'missing'), 'does not exist'],
      [join(forms.run, 'checkpoint'), 'holds neither manifest.json nor generator/manifest.json'],
      [join(ROOT, 'package.json'), 'is a file without the .dgm header'],
      [corrupt, 'Invalid model'],
    ]
    const exits = await Promise.all(
      cases.map(([path]) => tsx(['tools/wrangler.ts', 'deploy', '--dry-run', '--model', path])),
    )
    exits.forEach((exit, i) => {
      expect(exit.code, exit.stderr).toBe(2)
      expect(exit.stdout).not.toContain('wrangler')
      expect(exit.stderr.trimEnd().split('\n')).toHaveLength(1)
      expect(exit.stderr).toMatch(/^error: Expected|^error: Invalid model/)
      expect(exit.stderr).toContain(cases[i][1])
    })
  })
})
