/**
 * @module tools/wrangler
 * `npm start`, `npm run build:edge` and `npm run deploy`: wrangler, with three things it lacks.
 *
 * - **`--model PATH`** serves, builds or deploys a model from outside models/: a run folder, an
 *   exported folder or a single-file model (trainer/model-source, the reader every `--model`
 *   shares), validated first, then bundled through a generated entry (tools/model-entry) as the
 *   worker `digit-gan-<name>` ({@link workerName}).
 *   Without it, `MODEL` (or wrangler's own `CLOUDFLARE_ENV`) picks a shipped model's
 *   `[env.<name>]` of wrangler.toml, as it always did.
 * - **The 1 MiB budget** (tools/budget): `deploy --dry-run` (build:edge) fails over it with one
 *   line saying what to do, and `deploy` checks a dry run before uploading; `--allow-over-budget`
 *   or `ALLOW_OVER_BUDGET=1` lets it through. `dev` only warns when the payload alone is over.
 * - **Quiet offline starts**: `wrangler dev` fetches https://workers.cloudflare.com/cf.json (the
 *   `Request.cf` object; this worker reads none of it) and prints an ENOTFOUND stack without a
 *   network. `CLOUDFLARE_CF_FETCH_ENABLED=false` (miniflare's switch) uses its placeholder instead;
 *   set it to `true` to fetch. wrangler's update check and telemetry fail silently offline.
 *
 * Every other argument goes to wrangler as is.
 *
 * Run: `npm start -- --model runs/cgan`, `npm run build:edge -- --model runs/cgan/generator.dgm`,
 *      `npm run deploy -- --model models/default`, or directly
 *      `npx tsx tools/wrangler.ts dev|deploy [--model PATH] [--allow-over-budget] [wrangler args]`
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { constants, tmpdir } from 'node:os'
import { basename, dirname, extname, join } from 'node:path'
import { MANIFEST_FILE, type Dtype } from '../shared/model/weights'
import { runMain, UsageError } from '../trainer/cli'
import { isEntry } from '../trainer/entry'
import { readModelSource } from '../trainer/model-source'
import { ALLOW_ENV, gzipBytes, overBudget, payloadGzipBytes } from './budget'
import type { BudgetHint } from './budget'
import { ROOT, writeEntry } from './model-entry'

const COMMANDS = ['dev', 'deploy'] as const

/** The wrapper's own arguments; `rest` goes to wrangler. */
export interface WrapperArgs {
  command: (typeof COMMANDS)[number]
  model?: string
  allowOverBudget: boolean
  rest: string[]
}

/** A bundle over the budget, or one whose size wrangler did not print. */
export class BudgetError extends Error {
  override name = 'BudgetError'
}

/**
 * Splits the command line into the wrapper's flags and wrangler's.
 * @example parseWrapperArgs(['dev', '--model', 'runs/x', '--port', '8787'])
 * // { command: 'dev', model: 'runs/x', allowOverBudget: false, rest: ['--port', '8787'] }
 */
export function parseWrapperArgs(argv: string[]): WrapperArgs {
  const [command, ...tail] = argv
  if (!COMMANDS.includes(command as WrapperArgs['command'])) {
    const got = command ?? ''
    throw new UsageError(`Expected dev or deploy as the first argument, but got '${got}'.`)
  }
  const args: WrapperArgs = {
    command: command as WrapperArgs['command'],
    allowOverBudget: false,
    rest: [],
  }
  for (let i = 0; i < tail.length; i++) {
    const arg = tail[i]
    if (arg === '--allow-over-budget') args.allowOverBudget = true
    else if (arg.startsWith('--model=')) args.model = arg.slice('--model='.length)
    else if (arg === '--model') {
      const value = tail[++i]
      if (value === undefined || value.startsWith('--')) {
        throw new UsageError('Expected a path after --model (a run, an export or a .dgm file).')
      }
      args.model = value
    } else args.rest.push(arg)
  }
  return args
}

/** The command: resolve the model, run wrangler, hold the bundle to the budget. */
export async function main(argv: string[]): Promise<void> {
  const { command, model, allowOverBudget, rest } = parseWrapperArgs(argv)
  const allow = allowOverBudget || process.env[ALLOW_ENV] === '1'
  const env: NodeJS.ProcessEnv = { ...process.env }
  env.CLOUDFLARE_CF_FETCH_ENABLED ??= 'false'
  const args: string[] = [command]
  let hint: BudgetHint
  if (model !== undefined) {
    const source = readModelSource(model)
    const { kind, path } = source
    const { manifest } = source.weights
    const sha = manifest.payload.sha256.slice(0, 12)
    console.log(`model: ${path} (${kind}, ${manifest.dtype}, sha256 ${sha})`)
    hint = { runDir: source.runDir, dtype: manifest.dtype }
    // The top level of wrangler.toml (rules, build step) around the generated entry.
    args.push(writeEntry(source), '--env', '')
    delete env.CLOUDFLARE_ENV
    const worker = `digit-gan-${workerName(source.runDir ?? source.path)}`
    if (!hasFlag(rest, '--name')) args.push('--name', worker)
    if (command === 'dev') {
      const payloadBytes = payloadGzipBytes(source.payload)
      const over = overBudget(payloadBytes, hint, "the model's payload alone is")
      if (over) console.warn(`warning: ${over} (npm start serves it; deploy checks the bundle).`)
    }
  } else {
    const name = env.MODEL || env.CLOUDFLARE_ENV || ''
    if (!hasFlag(rest, '--env', '-e')) args.push('--env', name)
    hint = { dtype: shippedDtype(name) }
  }
  args.push(...rest)

  if (command === 'dev') return exit((await wrangler(args, env)).code)
  if (rest.includes('--dry-run')) {
    const { code, stdout } = await wrangler(args, env, true)
    if (code !== 0) return exit(code)
    return checkBudget(stdout, hint, allow)
  }
  if (!allow) {
    // A real upload: measure a dry run of the same build first, and stop before uploading.
    console.log('Checking the bundle against the 1 MiB budget (a dry run) before deploying…')
    const outdir = mkdtempSync(join(tmpdir(), 'digit-gan-deploy-'))
    try {
      const dry = [...args, '--dry-run', ...(hasFlag(rest, '--outdir') ? [] : ['--outdir', outdir])]
      const { code, stdout } = await wrangler(dry, env, true)
      if (code !== 0) return exit(code)
      checkBudget(stdout, hint, allow)
    } finally {
      rmSync(outdir, { recursive: true, force: true })
    }
  }
  exit((await wrangler(args, env)).code)
}

/** Throws a BudgetError over the budget (a note only when allowed) or when no size was printed. */
function checkBudget(stdout: string, hint: BudgetHint, allow: boolean): void {
  const bytes = gzipBytes(stdout)
  if (bytes === undefined) {
    throw new BudgetError(
      'Expected wrangler to print the bundle size ("Total Upload: … / gzip: … KiB"), but it ' +
        'printed none, so the 1 MiB budget is unchecked.',
    )
  }
  const over = overBudget(bytes, hint)
  if (over === undefined) return
  if (!allow) throw new BudgetError(`${over}.`)
  console.warn(`note: ${over.split(': ')[0]}; allowed by --allow-over-budget (${ALLOW_ENV}=1).`)
}

/** The dtype of a shipped model (`models/<name>/`, `default` for ''), for the budget's advice. */
function shippedDtype(name: string): Dtype | undefined {
  const path = join(ROOT, 'models', name || 'default', MANIFEST_FILE)
  if (!existsSync(path)) return undefined
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { dtype?: Dtype }).dtype
  } catch {
    return undefined // the build reports a broken manifest better than this hint could
  }
}

/**
 * The worker's name suffix from a model path: its last meaningful segment (`generator` and the
 * extension say nothing), lowercased to the letters, digits and dashes a worker name allows.
 * @example workerName('runs/cgan/generator.dgm') // 'cgan'
 */
export function workerName(path: string): string {
  let base = basename(path, extname(path))
  if (base === 'generator') base = basename(dirname(path))
  const slug = base
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40)
    .replace(/-$/, '')
  return slug === '' ? 'model' : slug
}

function hasFlag(args: string[], ...names: string[]): boolean {
  return args.some((arg) => names.some((name) => arg === name || arg.startsWith(`${name}=`)))
}

/**
 * Runs wrangler in the root and resolves with its exit code (128 + n for a signal) and, with
 * `capture`, its stdout, which is still shown as it comes.
 */
function wrangler(
  args: string[],
  env: NodeJS.ProcessEnv,
  capture = false,
): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(ROOT, 'node_modules/.bin/wrangler'), args, {
      cwd: ROOT,
      env,
      stdio: ['inherit', capture ? 'pipe' : 'inherit', 'inherit'],
    })
    let stdout = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      process.stdout.write(chunk)
    })
    // Ctrl-C reaches wrangler from the terminal (same process group): wait for it to shut down
    // rather than die first. A signal sent to this process alone is passed on.
    const onInt = () => {}
    const forward = (signal: NodeJS.Signals) => child.kill(signal)
    process.on('SIGINT', onInt).on('SIGTERM', forward).on('SIGHUP', forward)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      process.off('SIGINT', onInt).off('SIGTERM', forward).off('SIGHUP', forward)
      resolve({ code: code ?? 128 + (signal ? constants.signals[signal] : 1), stdout })
    })
  })
}

function exit(code: number): void {
  process.exitCode = code
}

if (isEntry(import.meta.url, 'wrangler')) runMain(main)
