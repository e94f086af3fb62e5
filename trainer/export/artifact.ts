/**
 * @module trainer/export/artifact
 * Reads and writes a generator artifact folder (`manifest.json` + `weights.bin`, the format of
 * shared/model/weights) on disk, packs one into a single-file model (shared/model/model-file), and
 * records evaluation results in either form.
 *
 * `manifest.json` is the commit record of an artifact: a writer removes it first, writes the
 * payload, and writes the manifest last, each file atomically (temp file + rename). A folder
 * therefore holds either a manifest whose checksum matches its payload or no manifest at all (an
 * interrupted write), never a manifest that silently describes a different payload.
 */
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { packModelFile, splitModelFile, type ModelFileParts } from '../../shared/model/model-file'
import type { ModelSpec } from '../../shared/model/spec'
import {
  decodeWeights,
  encodeWeights,
  type DecodedWeights,
  type Dtype,
  MANIFEST_FILE,
  PAYLOAD_FILE,
  type Manifest,
} from '../../shared/model/weights'
import { firstLine, writeFileAtomic } from '../cli'

/** A missing, unreadable or invalid artifact; the message names the path. */
export class ArtifactError extends Error {
  override name = 'ArtifactError'
}

export interface ArtifactInput {
  model: ModelSpec
  /** Generator tensors in f32, keyed by the names of `tensorSpecs(model.generator)`. */
  tensors: Map<string, Float32Array>
  /** Storage type of dense kernels. */
  dtype: Dtype
  /** Store the payload losslessly compressed (`shuffle2-deflate`); the default. */
  compress?: boolean
  training?: Record<string, unknown>
  eval?: Record<string, unknown>
}

/**
 * Encodes and writes an artifact into `dir` (created if needed) and returns its manifest.
 * Everything is validated before the first byte is written.
 * @example
 * writeArtifact('runs/smoke/generator', { model, tensors, dtype: 'f32', training: { steps } })
 */
export function writeArtifact(dir: string, input: ArtifactInput): Manifest {
  const { manifest, payload } = encodeWeights(input.model, input.tensors, {
    dtype: input.dtype,
    compress: input.compress ?? true,
    training: input.training,
    eval: input.eval,
  })
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    throw new ArtifactError(`Expected ${dir} to be a folder, but it is a file.`)
  }
  const manifestPath = join(dir, MANIFEST_FILE)
  // Withdraw the old manifest before its payload changes, so a crash never pairs them wrongly.
  rmSync(manifestPath, { force: true })
  writeFileAtomic(join(dir, PAYLOAD_FILE), payload)
  writeFileAtomic(manifestPath, manifestJson(manifest))
  return manifest
}

/**
 * Reads, validates and dequantizes the artifact in `dir`.
 * @throws ArtifactError naming the folder or file that is missing or invalid.
 * @example const weights = readArtifact('models/default'); const g = createGenerator(weights)
 */
export function readArtifact(dir: string): DecodedWeights {
  const { manifestPath, raw, payload } = readRaw(dir)
  return decodeOrThrow(manifestPath, raw, payload)
}

/**
 * Stores evaluation results in the artifact's manifest (replacing any earlier `eval`), atomically.
 * The payload and its checksum are untouched; the new manifest is validated before it is written.
 * @example recordEval('models/default', { fid: 3.1, inceptionScore: 8.9 })
 */
export function recordEval(dir: string, evalResult: Record<string, unknown>): Manifest {
  const { manifestPath, raw, payload } = readRaw(dir)
  const manifest = withEval(manifestPath, raw, payload, evalResult)
  writeFileAtomic(manifestPath, manifestJson(manifest))
  return manifest
}

/**
 * Stores evaluation results in a single-file model (replacing any earlier `eval`), atomically:
 * the file is packed anew around the same payload bytes (temp file + rename), so its sha256 and
 * its tensors are unchanged and a reader sees the old file or the new one, never half of either.
 * @throws ArtifactError naming the file when it is missing or invalid.
 * @example recordModelFileEval('runs/cgan/generator.dgm', { fid: 3.1, inceptionScore: 8.9 })
 */
export function recordModelFileEval(file: string, evalResult: Record<string, unknown>): Manifest {
  const bytes = new Uint8Array(readFileOrThrow(file))
  let parts: ModelFileParts
  try {
    parts = splitModelFile(bytes)
  } catch (err) {
    throw new ArtifactError(`Invalid model file ${file}: ${firstLine(err)}`, { cause: err })
  }
  const manifest = withEval(file, parts.manifest, parts.payload, evalResult)
  writeFileAtomic(file, packModelFile(manifest, parts.payload))
  return manifest
}

/** `raw` with its `eval` replaced, validated against `payload` as a whole manifest. */
function withEval(
  where: string,
  raw: unknown,
  payload: Uint8Array,
  evalResult: Record<string, unknown>,
): Manifest {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ArtifactError(`Invalid model artifact ${where}: expected a JSON object.`)
  }
  const updated = { ...(raw as Record<string, unknown>), eval: evalResult }
  // Through JSON and back, so what is validated is exactly what gets written.
  return decodeOrThrow(where, JSON.parse(JSON.stringify(updated)), payload).manifest
}

/**
 * Packs the artifact in `dir` into the single-file model `file` (shared/model/model-file), atomically,
 * after validating it: the file holds the same manifest and payload, so it is the same model.
 * @throws ArtifactError naming the folder or file that is missing or invalid.
 * @example writeModelFile('runs/smoke/generator', 'runs/smoke/generator.dgm')
 */
export function writeModelFile(dir: string, file: string): Manifest {
  const { manifestPath, raw, payload } = readRaw(dir)
  const { manifest } = decodeOrThrow(manifestPath, raw, payload)
  writeFileAtomic(file, packModelFile(manifest, payload))
  return manifest
}

function decodeOrThrow(manifestPath: string, raw: unknown, payload: Uint8Array): DecodedWeights {
  try {
    return decodeWeights(raw, payload)
  } catch (err) {
    throw new ArtifactError(`Invalid model artifact ${manifestPath}: ${firstLine(err)}`, {
      cause: err,
    })
  }
}

/** The manifest as parsed JSON (not yet validated) and the payload bytes. */
function readRaw(dir: string): { manifestPath: string; raw: unknown; payload: Uint8Array } {
  if (!existsSync(dir)) {
    throw new ArtifactError(`Expected a model artifact folder at ${dir}, but it does not exist.`)
  }
  if (!statSync(dir).isDirectory()) {
    throw new ArtifactError(`Expected a model artifact folder at ${dir}, but it is a file.`)
  }
  const manifestPath = join(dir, MANIFEST_FILE)
  const text = readFileOrThrow(manifestPath).toString('utf8')
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    throw new ArtifactError(`Expected valid JSON in ${manifestPath}, but got: ${firstLine(err)}`, {
      cause: err,
    })
  }
  const payload = readFileOrThrow(join(dir, PAYLOAD_FILE))
  return { manifestPath, raw, payload: new Uint8Array(payload) }
}

function readFileOrThrow(path: string): Buffer {
  try {
    return readFileSync(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const why =
      code === 'ENOENT' ? 'it is missing' : `it cannot be read (${code ?? firstLine(err)})`
    throw new ArtifactError(`Expected the file ${path}, but ${why}.`, { cause: err })
  }
}

function manifestJson(manifest: unknown): string {
  return `${JSON.stringify(manifest, null, 2)}\n`
}
