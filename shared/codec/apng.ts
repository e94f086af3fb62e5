/**
 * @module shared/codec/apng
 * Animated PNG encoder (APNG 1.0) on the building blocks of `shared/codec/png`: every frame is a full
 * image of the same size, compressed exactly like `encodePng` compresses one, so the output is
 * deterministic. Decoders without APNG support show the first frame, which is the default image.
 *
 * Layout: signature, IHDR, acTL (frame count, plays), then per frame an fcTL and its data — IDAT
 * for frame 0, fdAT (sequence number + zlib data) for the others — and IEND. fcTL and fdAT chunks
 * share one sequence counter starting at 0: fcTL 0, IDAT, fcTL 1, fdAT 2, fcTL 3, fdAT 4, …
 */
import { deflateImage, ihdrData, writeChunks } from './png'
import type { PngChunk } from './png'

/** Timing of an animation. */
export interface ApngOptions {
  /** How long each frame shows, in milliseconds (1..65535); one number applies to all frames. */
  delayMs: number | readonly number[]
  /** How many times the animation plays; 0 (the default) loops forever. */
  plays?: number
  /** Nearest-neighbour upscale of every frame: the APNG is `width·scale × height·scale`. */
  scale?: number
}

const MAX_U16 = 0xffff
const MAX_U31 = 0x7fffffff

/**
 * Encode equal-size 8-bit frames as an animated PNG.
 *
 * @param frames row-major pixels, `width · height · channels` bytes each, at least one frame.
 * @throws RangeError for no frames, a frame of the wrong length, a bad size, scale or channel
 *   count, a delay outside 1..65535 ms or a delay list of the wrong length, or a bad `plays`.
 * @example
 * const apng = encodeApng([gray0, gray1, gray2], 28, 28, 1, { delayMs: 100 }) // loops forever
 */
export function encodeApng(
  frames: readonly Uint8Array[],
  width: number,
  height: number,
  channels: 1 | 3 | 4,
  options: ApngOptions,
): Uint8Array<ArrayBuffer> {
  if (frames.length === 0 || frames.length > MAX_U31) {
    throw new RangeError(`Expected at least one frame, but got ${frames.length}.`)
  }
  const delays = frameDelays(options.delayMs, frames.length)
  const plays = options.plays ?? 0
  if (!Number.isInteger(plays) || plays < 0 || plays > MAX_U31) {
    throw new RangeError(`Expected plays to be an integer in 0..${MAX_U31}, but got ${plays}.`)
  }
  const scale = options.scale ?? 1
  const chunks: PngChunk[] = [
    { type: 'IHDR', data: ihdrData(width * scale, height * scale, channels) },
    { type: 'acTL', data: u32s(frames.length, plays) },
  ]
  let sequence = 0
  frames.forEach((frame, i) => {
    const control = frameControl(sequence++, width * scale, height * scale, delays[i])
    chunks.push({ type: 'fcTL', data: control })
    const zlib = deflateImage(frame, width, height, channels, scale)
    if (i === 0) {
      chunks.push({ type: 'IDAT', data: zlib })
    } else {
      const data = new Uint8Array(4 + zlib.length)
      new DataView(data.buffer).setUint32(0, sequence++)
      data.set(zlib, 4)
      chunks.push({ type: 'fdAT', data })
    }
  })
  chunks.push({ type: 'IEND', data: new Uint8Array(0) })
  return writeChunks(chunks)
}

function frameDelays(delayMs: number | readonly number[], count: number): readonly number[] {
  const delays = typeof delayMs === 'number' ? new Array<number>(count).fill(delayMs) : delayMs
  if (delays.length !== count) {
    throw new RangeError(`Expected ${count} frame delays, but got ${delays.length}.`)
  }
  for (const delay of delays) {
    if (!Number.isInteger(delay) || delay < 1 || delay > MAX_U16) {
      throw new RangeError(`Expected delays to be integers in 1..${MAX_U16} ms, but got ${delay}.`)
    }
  }
  return delays
}

/**
 * fcTL data (26 bytes): the frame covers the whole canvas at (0, 0) for `delayMs`/1000 s,
 * dispose op 0 (none) and blend op 0 (source: replace, so no frame shows through another).
 */
function frameControl(sequence: number, width: number, height: number, delayMs: number) {
  const data = new Uint8Array(26)
  const view = new DataView(data.buffer)
  view.setUint32(0, sequence)
  view.setUint32(4, width)
  view.setUint32(8, height)
  view.setUint32(12, 0) // x offset
  view.setUint32(16, 0) // y offset
  view.setUint16(20, delayMs) // delay numerator
  view.setUint16(22, 1000) // delay denominator: milliseconds
  data[24] = 0 // dispose op: none
  data[25] = 0 // blend op: source
  return data
}

function u32s(...values: number[]): Uint8Array {
  const data = new Uint8Array(4 * values.length)
  const view = new DataView(data.buffer)
  values.forEach((value, i) => view.setUint32(4 * i, value))
  return data
}
