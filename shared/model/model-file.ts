/**
 * @module shared/model/model-file
 * The single-file model (`.dgm`): an artifact's `manifest.json` and `weights.bin` (shared/model/weights)
 * in one file, so a model is one download for a browser and one path for `npm start -- --model`.
 * `npm run export -- --run DIR --single-file` writes `DIR/generator.dgm` beside `DIR/generator/`.
 *
 * Layout (all of it; nothing is padded):
 * - bytes 0–7: the magic `89 44 47 4D 0D 0A 1A 0A` (`\x89DGM\r\n\x1a\n`: like PNG's, a high byte,
 *   CR LF, ^Z and LF, so a file mangled by a text-mode transfer or mistaken for text fails at once)
 * - bytes 8–11: `n`, the manifest's length in bytes, uint32 little-endian
 * - the next `n` bytes: the manifest, JSON in UTF-8, exactly what `manifest.json` holds (its
 *   `payload.file` still says `weights.bin`: the manifest, and so the model, is the same)
 * - the rest: the payload, byte for byte `weights.bin`
 *
 * `splitModelFile` checks only the framing; `decodeModelFile` then runs every check of
 * `decodeWeights`, the same as for a folder.
 */
import { strFromU8, strToU8 } from 'fflate'
import { fail, WeightFormatError } from './manifest-check'
import { decodeWeights } from './weights'
import type { DecodedWeights, Manifest } from './weights'

/** The file name extension of a single-file model. */
export const MODEL_FILE_EXTENSION = '.dgm'
/** `\x89DGM\r\n\x1a\n` */
export const MODEL_FILE_MAGIC: readonly number[] = [0x89, 0x44, 0x47, 0x4d, 0x0d, 0x0a, 0x1a, 0x0a]
const HEADER_BYTES = MODEL_FILE_MAGIC.length + 4

/** The manifest (parsed JSON, not yet validated) and the payload of a single-file model. */
export interface ModelFileParts {
  manifest: unknown
  payload: Uint8Array<ArrayBuffer>
}

/** Whether `bytes` starts with the magic of a single-file model. */
export function isModelFile(bytes: Uint8Array): boolean {
  return bytes.length >= MODEL_FILE_MAGIC.length && MODEL_FILE_MAGIC.every((b, i) => bytes[i] === b)
}

/**
 * Frames a manifest and its payload as one file.
 * @example
 * const { manifest, payload } = encodeWeights(spec, tensors, { dtype: 'q14' })
 * writeFileSync('model.dgm', packModelFile(manifest, payload))
 */
export function packModelFile(manifest: Manifest, payload: Uint8Array): Uint8Array<ArrayBuffer> {
  const json = strToU8(JSON.stringify(manifest))
  const out = new Uint8Array(HEADER_BYTES + json.length + payload.length)
  out.set(MODEL_FILE_MAGIC)
  new DataView(out.buffer).setUint32(MODEL_FILE_MAGIC.length, json.length, true)
  out.set(json, HEADER_BYTES)
  out.set(payload, HEADER_BYTES + json.length)
  return out
}

/**
 * Splits a single-file model into its manifest (parsed, unvalidated) and payload (a copy).
 * @throws WeightFormatError for a file that is not one, is cut short, or whose manifest is not JSON.
 */
export function splitModelFile(bytes: Uint8Array): ModelFileParts {
  if (!isModelFile(bytes)) {
    const head = Array.from(bytes.subarray(0, MODEL_FILE_MAGIC.length), hex).join(' ')
    const want = `a single-file model, starting ${MODEL_FILE_MAGIC.map(hex).join(' ')}`
    fail(want, head === '' ? 'an empty file' : head, true)
  }
  if (bytes.length < HEADER_BYTES) fail(`at least ${HEADER_BYTES} bytes`, bytes.length)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const length = view.getUint32(MODEL_FILE_MAGIC.length, true)
  if (HEADER_BYTES + length > bytes.length) {
    const got = `a file of ${bytes.length} bytes (cut short?)`
    fail(`a manifest of ${length} bytes after the ${HEADER_BYTES}-byte header`, got, true)
  }
  let manifest: unknown
  try {
    manifest = JSON.parse(strFromU8(bytes.subarray(HEADER_BYTES, HEADER_BYTES + length)))
  } catch (err) {
    const message = `Expected the manifest to be JSON, but got: ${(err as Error).message}.`
    throw new WeightFormatError(message, { cause: err })
  }
  return { manifest, payload: bytes.slice(HEADER_BYTES + length) }
}

/**
 * Splits and validates a single-file model with every check of `decodeWeights`.
 * @throws WeightFormatError "Expected X, but got Y." naming the first problem found.
 * @example
 * const bytes = new Uint8Array(await (await fetch('/generator.dgm')).arrayBuffer())
 * const generator = createGenerator(decodeModelFile(bytes))
 */
export function decodeModelFile(bytes: Uint8Array): DecodedWeights {
  const { manifest, payload } = splitModelFile(bytes)
  return decodeWeights(manifest, payload)
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0')
}
