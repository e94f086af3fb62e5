/**
 * @module trainer/model-source
 * What `--model PATH` names, for every command that reads a generator (`generate`, `sample`,
 * `eval`, and tools/wrangler behind `npm start`/`deploy`): a training run (`runs/<run>/`, holding
 * the exported `generator/`), an exported model folder (`manifest.json` + `weights.bin`, like
 * `models/default/`) or a single-file model (`.dgm`, shared/model/model-file). Whichever it is, the
 * model is read once and validated with every check the worker makes (`decodeWeights`: format,
 * spec, tensor table, sha256, values), so a bad model fails here, in one line (a UsageError: exit
 * code 2), before any work and never as a 503 later. One reader, so the three forms mean the same
 * model to every command.
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { isModelFile, MODEL_FILE_EXTENSION, splitModelFile } from '../shared/model/model-file'
import { decodeWeights, MANIFEST_FILE, PAYLOAD_FILE } from '../shared/model/weights'
import type { DecodedWeights } from '../shared/model/weights'
import { firstLine, UsageError } from './cli'

/** A validated model, decoded and ready for `createGenerator`, and where it came from. */
export interface ModelSource {
  kind: 'run' | 'export' | 'file'
  /** The path as given. */
  path: string
  /**
   * The folder holding `manifest.json` and `weights.bin` (a run's `generator/`), where
   * `eval --record` writes; absent for a single file, which is rewritten whole instead.
   */
  dir?: string
  /** The run folder it came from, when known: where `npm run export -- --run` re-exports it. */
  runDir?: string
  /** The payload bytes, exactly `weights.bin`. */
  payload: Uint8Array<ArrayBuffer>
  /** The validated manifest (unknown keys kept) and the decoded tensors. */
  weights: DecodedWeights
}

/** The three forms, as the error lines name them. */
const MODEL_FORMS =
  `a run folder (with generator/), an exported model folder (${MANIFEST_FILE} + ${PAYLOAD_FILE}) ` +
  `or a single-file model (${MODEL_FILE_EXTENSION})`

/** The three forms in a few words, for the `--model` line of every command's `--help`. */
export const MODEL_FORMS_HELP =
  `a run folder, an exported folder or a single-file model (${MODEL_FILE_EXTENSION})`

/**
 * Reads and validates the model at `path`.
 * @throws UsageError with one line naming the path and what is wrong with it.
 * @example const source = readModelSource('runs/cgan') // runs/cgan/generator/
 */
export function readModelSource(path: string): ModelSource {
  if (path === '') throw new UsageError(`Expected --model to name ${MODEL_FORMS}, but got ''.`)
  if (!existsSync(path)) {
    throw new UsageError(`Expected --model to name ${MODEL_FORMS}, but ${path} does not exist.`)
  }
  if (!statSync(path).isDirectory()) return readFile(path)
  if (existsSync(join(path, MANIFEST_FILE))) {
    // An export inside a run (runs/<run>/generator) is re-exported from that run.
    const parent = dirname(path)
    const inRun = basename(path) === 'generator' && existsSync(join(parent, 'checkpoint'))
    return readFolder(path, path, 'export', inRun ? parent : undefined)
  }
  if (existsSync(join(path, 'generator', MANIFEST_FILE))) {
    return readFolder(path, join(path, 'generator'), 'run', path)
  }
  const hint = existsSync(join(path, 'checkpoint'))
    ? ` (a run not exported yet? npm run export -- --run ${path})`
    : ''
  throw new UsageError(
    `Expected --model to name ${MODEL_FORMS}, but ${path} holds neither ${MANIFEST_FILE} nor ` +
      `generator/${MANIFEST_FILE}${hint}.`,
  )
}

function readFolder(
  path: string,
  dir: string,
  kind: 'run' | 'export',
  runDir: string | undefined,
): ModelSource {
  const manifestPath = join(dir, MANIFEST_FILE)
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(manifestPath, 'utf8'))
  } catch (err) {
    throw new UsageError(`Expected valid JSON in ${manifestPath}, but got: ${firstLine(err)}`)
  }
  const payloadPath = join(dir, PAYLOAD_FILE)
  if (!existsSync(payloadPath)) {
    throw new UsageError(`Expected the file ${payloadPath} beside its manifest, but it is missing.`)
  }
  const payload = new Uint8Array(readFileSync(payloadPath))
  const weights = validate(manifestPath, () => decodeWeights(raw, payload))
  return { kind, path, dir, runDir, payload, weights }
}

function readFile(path: string): ModelSource {
  const bytes = new Uint8Array(readFileSync(path))
  if (!isModelFile(bytes)) {
    const json =
      basename(path) === MANIFEST_FILE ? ` (for an exported folder, name ${dirname(path)})` : ''
    throw new UsageError(
      `Expected --model to name ${MODEL_FORMS}, but ${path} is a file without the ` +
        `${MODEL_FILE_EXTENSION} header${json}.`,
    )
  }
  const { manifest: raw, payload } = validate(path, () => splitModelFile(bytes))
  const weights = validate(path, () => decodeWeights(raw, payload))
  return { kind: 'file', path, payload, weights }
}

/** Runs a reader of `path`, turning its format error into one line naming the path. */
function validate<T>(path: string, read: () => T): T {
  try {
    return read()
  } catch (err) {
    throw new UsageError(`Invalid model ${path}: ${firstLine(err)}`, { cause: err })
  }
}
