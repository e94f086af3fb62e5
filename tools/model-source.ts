/**
 * @module tools/model-source
 * What `--model PATH` names, for tools/wrangler: a training run (`runs/<run>/`, holding the
 * exported `generator/`), an exported model folder (`manifest.json` + `weights.bin`, like
 * `models/default/`) or a single-file model (`.dgm`, shared/model/model-file). Whichever it is, the model
 * is read once and validated with every check the worker makes (`decodeWeights`: format, spec,
 * tensor table, sha256, values), so a bad model fails here, in one line, not as a 503 later.
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { basename, dirname, extname, join } from 'node:path'
import { isModelFile, MODEL_FILE_EXTENSION, splitModelFile } from '../shared/model/model-file'
import { decodeWeights } from '../shared/model/weights'
import type { Manifest } from '../shared/model/weights'
import { UsageError } from '../trainer/cli'

/** A validated model from outside models/, ready to be bundled. */
export interface ModelSource {
  kind: 'run' | 'export' | 'file'
  /** The path as given. */
  path: string
  /** The run folder it came from, when known: where `npm run export -- --run` re-exports it. */
  runDir?: string
  /** The manifest as read (unknown keys kept), validated. */
  manifest: Manifest
  /** The payload bytes, exactly `weights.bin`. */
  payload: Uint8Array<ArrayBuffer>
  /** A short name for the worker, from the path: `runs/cgan/generator.dgm` → `cgan`. */
  name: string
}

const WHAT =
  'a run folder (with generator/), an exported model folder (manifest.json + weights.bin) ' +
  `or a single-file model (${MODEL_FILE_EXTENSION})`

/**
 * Reads and validates the model at `path`.
 * @throws UsageError with one line naming the path and what is wrong with it.
 * @example const source = readModelSource('runs/cgan') // runs/cgan/generator/
 */
export function readModelSource(path: string): ModelSource {
  if (path === '') throw new UsageError(`Expected --model to name ${WHAT}, but got ''.`)
  if (!existsSync(path)) {
    throw new UsageError(`Expected --model to name ${WHAT}, but ${path} does not exist.`)
  }
  if (!statSync(path).isDirectory()) return readFile(path)
  if (existsSync(join(path, 'manifest.json'))) {
    // An export inside a run (runs/<run>/generator) is re-exported from that run.
    const parent = dirname(path)
    const inRun = basename(path) === 'generator' && existsSync(join(parent, 'checkpoint'))
    return readFolder(path, 'export', inRun ? parent : undefined)
  }
  if (existsSync(join(path, 'generator', 'manifest.json'))) {
    return readFolder(join(path, 'generator'), 'run', path)
  }
  const hint = existsSync(join(path, 'checkpoint'))
    ? ` (a run not exported yet? npm run export -- --run ${path})`
    : ''
  throw new UsageError(
    `Expected --model to name ${WHAT}, but ${path} holds neither manifest.json nor ` +
      `generator/manifest.json${hint}.`,
  )
}

function readFolder(dir: string, kind: 'run' | 'export', runDir: string | undefined): ModelSource {
  const manifestPath = join(dir, 'manifest.json')
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(manifestPath, 'utf8'))
  } catch (err) {
    throw new UsageError(`Expected valid JSON in ${manifestPath}, but got: ${firstLine(err)}`)
  }
  const payloadPath = join(dir, 'weights.bin')
  if (!existsSync(payloadPath)) {
    throw new UsageError(`Expected the file ${payloadPath} beside its manifest, but it is missing.`)
  }
  const payload = new Uint8Array(readFileSync(payloadPath))
  const manifest = validate(manifestPath, () => decodeWeights(raw, payload).manifest)
  const name = workerName(kind === 'run' ? dir : runDir ?? dir)
  return { kind, path: kind === 'run' ? (runDir as string) : dir, runDir, manifest, payload, name }
}

function readFile(path: string): ModelSource {
  const bytes = new Uint8Array(readFileSync(path))
  if (!isModelFile(bytes)) {
    const json =
      basename(path) === 'manifest.json' ? ` (for an exported folder, name ${dirname(path)})` : ''
    throw new UsageError(
      `Expected --model to name ${WHAT}, but ${path} is a file without the ` +
        `${MODEL_FILE_EXTENSION} header${json}.`,
    )
  }
  const { manifest: raw, payload } = validate(path, () => splitModelFile(bytes))
  const manifest = validate(path, () => decodeWeights(raw, payload).manifest)
  return { kind: 'file', path, manifest, payload, name: workerName(path) }
}

/** Runs a reader of `path`, turning its format error into one line naming the path. */
function validate<T>(path: string, read: () => T): T {
  try {
    return read()
  } catch (err) {
    throw new UsageError(`Invalid model ${path}: ${firstLine(err)}`, { cause: err })
  }
}

/**
 * The worker's name suffix from a model path: its last meaningful segment (`generator` and the
 * extension say nothing), lowercased to the letters, digits and dashes a worker name allows.
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

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]
}
