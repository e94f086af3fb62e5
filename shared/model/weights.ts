/**
 * @module shared/model/weights
 * The generator artifact format: `manifest.json` (`Manifest`) + `weights.bin` (the payload). The
 * manifest carries the full model spec, so a reader rebuilds the generator from the artifact alone.
 *
 * Payload (format version 1): the tensors of `tensorSpecs(model.generator)` in that order, each at
 * a 4-byte-aligned offset (zero padding between), little-endian. Dense kernels are stored in the
 * manifest's `dtype` — `f32`, `f16` (binary16, round-to-nearest-even) or `q8` (per-output-unit
 * symmetric int8: `units` float32 scales, then the int8 values row-major; see `shared/model/f16`), `q12`
 * (the same with 12-bit integers, two per three bytes), `q14` (one float32 scale for the tensor,
 * then int16 values in [-8191, 8191], row-major) or `q15` (the same in [-16383, 16383]) — and
 * every other tensor as `f32`. `manifest.payload.encoding` (optional) names a lossless compression
 * of those bytes (`shared/model/payload-codec`); `byteLength` and `sha256` are of the stored bytes.
 *
 * `decodeWeights` trusts nothing: it checks the manifest's structure, the spec, the tensor table
 * against the spec, the layout, the checksum and every value, and throws `WeightFormatError`.
 * Unknown top-level manifest keys are ignored so that later writers can add metadata. It returns
 * every tensor as float32 and, for the quantized ones, also the stored integers, which the forward
 * pass computes with.
 */
import { sha256Hex } from '../codec/sha256'
import {
  dequantize,
  DTYPES,
  HALF_OVERFLOW,
  readIntegers,
  readTensor,
  tensorByteLength,
  wordQuantMax,
  writeTensor,
} from './f16'
import type { Dtype, IntegerTensor } from './f16'
import { packPayload, PAYLOAD_ENCODINGS, unpackPayload, type PayloadEncoding } from './payload-codec'
import { checkModelSpec, elementCount, fail, isRecord, WeightFormatError } from './manifest-check'
import { tensorSpecs } from './spec'
import type { ModelSpec } from './spec'

export { WeightFormatError }

export { DTYPES, type Dtype }
export const FORMAT = 'digit-gan-generator'
export const FORMAT_VERSION = 1
/** The manifest's file name in an artifact folder (and in a run's `generator/`). */
export const MANIFEST_FILE = 'manifest.json'
/** The payload's file name beside it; `manifest.payload.file` must name it. */
export const PAYLOAD_FILE = 'weights.bin'

/** Where one tensor lives in the payload. */
export interface TensorEntry {
  name: string
  shape: number[]
  dtype: Dtype
  offset: number
  byteLength: number
}

/** `manifest.json`. `tensors` is exactly `tensorSpecs(model.generator)`, same order. */
export interface Manifest {
  format: 'digit-gan-generator'
  formatVersion: 1
  /** The full spec; the payload holds generator tensors only. */
  model: ModelSpec
  latentDim: number
  /** Storage type of dense kernels; every other tensor is f32. */
  dtype: Dtype
  tensors: TensorEntry[]
  payload: {
    file: typeof PAYLOAD_FILE
    byteLength: number
    sha256: string
    /** Compression of the stored bytes; absent = raw. `rawByteLength` is the decoded size. */
    encoding?: PayloadEncoding
    rawByteLength?: number
  }
  /** Steps, config, backend, wall time, creation date… */
  training?: Record<string, unknown>
  eval?: Record<string, unknown>
}

/** A validated manifest and its tensors, dequantized to float32. */
export interface DecodedWeights {
  manifest: Manifest
  tensors: Map<string, Float32Array>
  /**
   * The stored integers of the quantized tensors (the dense kernels of a q8…q15 payload), which
   * the forward pass computes with (shared/inference/compile); absent or without an entry: float kernels.
   */
  integers?: Map<string, IntegerTensor>
}

export interface EncodeOptions {
  dtype: Dtype
  /** Store the payload `shuffle2-deflate`-compressed (lossless). */
  compress?: boolean
  training?: Record<string, unknown>
  eval?: Record<string, unknown>
}

/** Names of the dense kernels of the generator: the only tensors that take `manifest.dtype`. */
function kernelNames(model: ModelSpec): Set<string> {
  const dense = model.generator.layers.filter((layer) => layer.kind === 'dense')
  return new Set(dense.map((layer) => `${layer.name}.kernel`))
}

function checkMetadata(path: string, value: unknown): Record<string, unknown> | undefined {
  if (value === undefined) return undefined
  if (!isRecord(value)) fail(`${path} to be an object`, value)
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>
}

/**
 * Serialize generator tensors into a manifest and payload (see the module doc for the layout).
 * Tensors not in `tensorSpecs(model.generator)` (e.g. the discriminator's) are ignored.
 *
 * @throws WeightFormatError for an invalid spec, a missing, mis-sized or non-finite tensor, or an
 *   f16 value beyond ±65504.
 * @example
 * const { manifest, payload } = encodeWeights(tutorialMlp(), tensors, { dtype: 'f16' })
 */
export function encodeWeights(
  model: ModelSpec,
  tensors: Map<string, Float32Array>,
  opts: EncodeOptions,
): { manifest: Manifest; payload: Uint8Array<ArrayBuffer> } {
  const spec = checkModelSpec(JSON.parse(JSON.stringify(model)) as unknown, 'model')
  if (!DTYPES.includes(opts.dtype)) fail(`dtype to be one of ${DTYPES.join(', ')}`, opts.dtype)
  const kernels = kernelNames(spec)
  const entries: TensorEntry[] = []
  let end = 0
  for (const t of tensorSpecs(spec.generator)) {
    const values = tensors.get(t.name)
    if (values === undefined) fail(`a tensor named ${t.name}`, 'none', true)
    const n = elementCount(t.shape)
    if (values.length !== n)
      fail(`${t.name} to have ${n} values (shape [${t.shape}])`, values.length)
    checkFinite(t.name, values)
    const dtype = kernels.has(t.name) ? opts.dtype : 'f32'
    if (dtype === 'f16') {
      const i = values.findIndex((v) => Math.abs(v) >= HALF_OVERFLOW)
      if (i >= 0) fail(`${t.name}[${i}] to fit in f16 (±65504)`, values[i])
    }
    const offset = (end + 3) & ~3
    const byteLength = tensorByteLength(dtype, t.shape)
    entries.push({ name: t.name, shape: [...t.shape], dtype, offset, byteLength })
    end = offset + byteLength
  }
  const raw = new Uint8Array(end)
  const view = new DataView(raw.buffer)
  for (const e of entries) writeTensor(view, e.offset, e.dtype, e.shape, tensors.get(e.name)!)
  const payload = opts.compress ? packPayload(raw) : raw
  const stored = { byteLength: payload.length, sha256: sha256Hex(payload) }
  const manifest: Manifest = {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    model: spec,
    latentDim: spec.latentDim,
    dtype: opts.dtype,
    tensors: entries,
    payload: opts.compress
      ? { file: PAYLOAD_FILE, ...stored, encoding: 'shuffle2-deflate', rawByteLength: end }
      : { file: PAYLOAD_FILE, ...stored },
  }
  const training = checkMetadata('training', opts.training)
  if (training) manifest.training = training
  const evalResult = checkMetadata('eval', opts.eval)
  if (evalResult) manifest.eval = evalResult
  return { manifest, payload }
}

function checkFinite(name: string, values: Float32Array): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) fail(`${name}[${i}] to be finite`, values[i])
  }
}

/**
 * Validate a parsed `manifest.json` against its payload and decode every tensor to float32.
 *
 * @param manifest the parsed JSON, unvalidated.
 * @param payload the bytes of `weights.bin`.
 * @throws WeightFormatError "Expected X, but got Y." naming the first problem found.
 * @example
 * const weights = decodeWeights(JSON.parse(manifestText), payloadBytes)
 * const generator = createGenerator(weights)
 */
export function decodeWeights(manifest: unknown, payload: Uint8Array): DecodedWeights {
  const m = checkManifest(manifest, payload.byteLength)
  const digest = sha256Hex(payload)
  if (digest !== m.payload.sha256) {
    throw new WeightFormatError(
      `Expected the payload's sha256 to be ${m.payload.sha256}, but got ${digest} ` +
        `(${PAYLOAD_FILE} is corrupt or belongs to another manifest).`,
    )
  }
  let raw = payload
  if (m.payload.encoding) {
    try {
      raw = unpackPayload(payload, m.payload.rawByteLength!)
    } catch (err) {
      throw new WeightFormatError(`${(err as Error).message} (${m.payload.encoding} payload)`, {
        cause: err,
      })
    }
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength)
  const tensors = new Map<string, Float32Array>()
  const integers = new Map<string, IntegerTensor>()
  for (const entry of m.tensors) {
    const wordMax = wordQuantMax(entry.dtype)
    if (entry.dtype === 'q8' || entry.dtype === 'q12' || wordMax !== undefined) {
      const scales = wordMax !== undefined ? 1 : entry.shape[1]
      for (let j = 0; j < scales; j++) {
        const s = view.getFloat32(entry.offset + 4 * j, true)
        if (!(s > 0 && s < Infinity)) {
          fail(`${entry.name} ${entry.dtype} scale ${j} to be positive`, s)
        }
      }
    }
    if (wordMax !== undefined) checkWordRange(view, entry, wordMax)
    const stored = readIntegers(view, entry.offset, entry.dtype, entry.shape)
    const values = stored
      ? dequantize(stored)
      : readTensor(view, entry.offset, entry.dtype, entry.shape)
    if (stored) integers.set(entry.name, stored)
    checkFinite(entry.name, values)
    if (entry.name.endsWith('.movingVariance')) {
      const i = values.findIndex((v) => v < 0)
      if (i >= 0) fail(`${entry.name}[${i}] to be non-negative`, values[i])
    }
    tensors.set(entry.name, values)
  }
  return { manifest: m, tensors, integers }
}

/** q14/q15 integers use int16 words but only ±`max` (8191/16383), as the writer produces them. */
function checkWordRange(view: DataView, entry: TensorEntry, max: number): void {
  const n = elementCount(entry.shape)
  for (let i = 0; i < n; i++) {
    const q = view.getInt16(entry.offset + 4 + 2 * i, true)
    if (q > max || q < -max) fail(`${entry.name} ${entry.dtype} value ${i} to be in ±${max}`, q)
  }
}

/** Everything about a manifest that can be checked without decoding values. */
function checkManifest(raw: unknown, payloadLength: number): Manifest {
  if (!isRecord(raw)) fail('the manifest to be a JSON object', raw)
  if (raw.format !== FORMAT) fail(`manifest.format to be "${FORMAT}"`, raw.format)
  if (raw.formatVersion !== FORMAT_VERSION) {
    const hint = Number.isInteger(raw.formatVersion) ? ' (this reader knows version 1 only)' : ''
    fail(`manifest.formatVersion to be ${FORMAT_VERSION}`, raw.formatVersion, false, hint)
  }
  const model = checkModelSpec(raw.model, 'manifest.model')
  if (raw.latentDim !== model.latentDim) {
    fail(`manifest.latentDim to equal manifest.model.latentDim (${model.latentDim})`, raw.latentDim)
  }
  const dtype = raw.dtype as Dtype
  if (!DTYPES.includes(dtype)) fail(`manifest.dtype to be one of ${DTYPES.join(', ')}`, raw.dtype)

  const p = raw.payload
  if (!isRecord(p)) fail('manifest.payload to be an object', p)
  if (p.file !== PAYLOAD_FILE) fail(`manifest.payload.file to be "${PAYLOAD_FILE}"`, p.file)
  if (typeof p.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(p.sha256)) {
    fail('manifest.payload.sha256 to be 64 lowercase hex digits', p.sha256)
  }
  if (!Number.isInteger(p.byteLength) || (p.byteLength as number) < 0) {
    fail('manifest.payload.byteLength to be a non-negative integer', p.byteLength)
  }
  if (p.byteLength !== payloadLength) {
    fail(`a payload of ${String(p.byteLength)} bytes (manifest.payload.byteLength)`, payloadLength)
  }
  let rawLength = payloadLength
  if (p.encoding !== undefined) {
    const names = PAYLOAD_ENCODINGS.join(', ')
    if (!PAYLOAD_ENCODINGS.includes(p.encoding as PayloadEncoding)) {
      fail(`manifest.payload.encoding to be absent or one of ${names}`, p.encoding)
    }
    if (!Number.isInteger(p.rawByteLength) || (p.rawByteLength as number) < 0) {
      fail('manifest.payload.rawByteLength to be a non-negative integer', p.rawByteLength)
    }
    rawLength = p.rawByteLength as number
  }
  checkTensorTable(raw.tensors, model, dtype, rawLength)
  checkMetadata('manifest.training', raw.training)
  checkMetadata('manifest.eval', raw.eval)
  return raw as unknown as Manifest
}

function checkTensorTable(raw: unknown, model: ModelSpec, dtype: Dtype, payloadLength: number) {
  const specs = tensorSpecs(model.generator)
  if (!Array.isArray(raw)) fail('manifest.tensors to be an array', raw)
  if (raw.length !== specs.length) {
    fail(`manifest.tensors to list the ${specs.length} generator tensors`, raw.length, true)
  }
  const kernels = kernelNames(model)
  const entries = raw.map((entry: unknown, i): TensorEntry => {
    const path = `manifest.tensors[${i}]`
    const spec = specs[i]
    if (!isRecord(entry)) fail(`${path} to be an object`, entry)
    if (entry.name !== spec.name) fail(`${path}.name to be "${spec.name}"`, entry.name)
    const shape = entry.shape
    const same = (a: unknown[], b: number[]) =>
      a.length === b.length && a.every((d, k) => d === b[k])
    if (!Array.isArray(shape) || !same(shape, spec.shape)) {
      fail(`${path}.shape (${spec.name}) to be [${spec.shape}]`, shape)
    }
    const want = kernels.has(spec.name) ? dtype : 'f32'
    if (entry.dtype !== want) {
      const why = want === 'f32' ? 'only dense kernels take manifest.dtype' : 'manifest.dtype'
      fail(`${path}.dtype (${spec.name}) to be "${want}" (${why})`, entry.dtype)
    }
    const { offset, byteLength } = entry
    if (!Number.isInteger(offset) || (offset as number) < 0 || (offset as number) % 4 !== 0) {
      fail(`${path}.offset (${spec.name}) to be a non-negative multiple of 4`, offset)
    }
    const size = tensorByteLength(want, spec.shape)
    if (byteLength !== size) {
      fail(
        `${path}.byteLength (${spec.name}) to be ${size} for ${want} [${spec.shape}]`,
        byteLength,
      )
    }
    const end = (offset as number) + size
    if (end > payloadLength) {
      fail(`${spec.name} to end within the ${payloadLength}-byte payload`, `byte ${end}`, true)
    }
    return { ...spec, dtype: want, offset: offset as number, byteLength: size }
  })
  const byOffset = [...entries].sort((a, b) => a.offset - b.offset)
  for (let i = 1; i < byOffset.length; i++) {
    const prev = byOffset[i - 1]
    const next = byOffset[i]
    if (next.offset < prev.offset + prev.byteLength) {
      const want = `${next.name} to start at or after byte ${prev.offset + prev.byteLength}`
      fail(`${want}, where ${prev.name} ends`, next.offset)
    }
  }
}
