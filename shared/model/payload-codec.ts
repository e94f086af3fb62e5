/**
 * @module shared/model/payload-codec
 * Optional lossless compression of the weight payload (`manifest.payload.encoding`).
 *
 * Why: the tutorial generator's f16 kernels are 1.12 MiB raw, over the 1 MiB budget for a model
 * bundled into a Worker, and int8 moves pixels by up to ~18 grey levels. Splitting every 2-byte
 * word into a high-byte plane (sign and exponent: very repetitive) and a low-byte plane before
 * deflate keeps the exact f16 values in about 0.98 MiB. Decoding takes fflate's inflate, a few
 * KiB of the bundle.
 *
 * The deflate stream is whichever is smaller of fflate's level 9 and a literals-only encoding
 * (`shared/codec/deflate-literals`): on nearly random bytes such as the low bytes of quantized weights,
 * LZ77 matches cost more than they save, and literals alone are smaller (the shipped model's q14
 * payload: 863 KiB instead of 889 KiB). Both are standard deflate, so the reader is unchanged.
 */
import { deflateSync, inflateSync } from 'fflate'
import { deflateLiterals } from '../codec/deflate-literals'

/** `shuffle2-deflate`: byte planes of 2-byte words (all even bytes, then all odd), then deflate. */
export type PayloadEncoding = 'shuffle2-deflate'
export const PAYLOAD_ENCODINGS: readonly PayloadEncoding[] = ['shuffle2-deflate']

/**
 * Encode a raw payload. Deterministic: fixed deflate level and memory (fflate otherwise derives
 * the memory level with `Math.log`, which engines may round differently), a literals-only encoder
 * that depends only on its input, and ties go to fflate.
 * @example const stored = packPayload(raw) // smaller; unpackPayload(stored, raw.length) gives raw
 */
export function packPayload(raw: Uint8Array): Uint8Array<ArrayBuffer> {
  const half = raw.length >>> 1
  const planes = new Uint8Array(raw.length)
  for (let i = 0; i < half; i++) {
    planes[i] = raw[2 * i]
    planes[half + i] = raw[2 * i + 1]
  }
  if (raw.length & 1) planes[raw.length - 1] = raw[raw.length - 1]
  const lz = deflateSync(planes, { level: 9, mem: 8 }) as Uint8Array<ArrayBuffer>
  const literals = deflateLiterals(planes)
  return literals.length < lz.length ? literals : lz
}

/**
 * Decode a payload written by `packPayload`. Call it only on checksummed bytes.
 * @throws Error when the stream is not valid deflate or does not inflate to `rawLength` bytes.
 */
export function unpackPayload(stored: Uint8Array, rawLength: number): Uint8Array<ArrayBuffer> {
  let planes: Uint8Array
  try {
    planes = inflateSync(stored)
  } catch (err) {
    throw new Error(`Expected a deflate stream, but got: ${(err as Error).message}.`, { cause: err })
  }
  if (planes.length !== rawLength) {
    throw new Error(`Expected the payload to inflate to ${rawLength} bytes, but got ${planes.length}.`)
  }
  const half = rawLength >>> 1
  const raw = new Uint8Array(rawLength)
  for (let i = 0; i < half; i++) {
    raw[2 * i] = planes[i]
    raw[2 * i + 1] = planes[half + i]
  }
  if (rawLength & 1) raw[rawLength - 1] = planes[rawLength - 1]
  return raw
}
