/**
 * @module shared/png
 * Minimal PNG encoder for 8-bit grayscale, RGB and RGBA images: signature, IHDR, one IDAT, IEND;
 * filter type 0 (None) on every row, no interlacing.
 *
 * Compression is chosen by size, so that the output depends only on the pixels:
 * - up to {@link STORED_MAX_BYTES} of scanlines (a 28×28 digit is 812 B) the zlib stream holds one
 *   *stored* (uncompressed) deflate block (`shared/zlib-stored`). Why: fflate costs ~0.1 ms per
 *   call on such a small input whatever the level (its per-call hash tables and Huffman trees
 *   dominate), two thirds of the forward pass, while the stored PNG costs ~10 µs; it grows from
 *   ~0.36 KB to 0.86 KB, which still fits one TCP segment with the response headers.
 * - larger images (upscaled digits, grids, strips) go through fflate's `zlibSync` at a fixed level
 *   and `mem`: small (~8 KB in the bundle), pure JS with no Node APIs or WASM, so it runs unchanged
 *   in Node, browsers and workerd; its output depends only on the input and the options, so the
 *   pinned version (package.json: exact) plus the fixed `level` and `mem` give byte-identical PNGs
 *   everywhere. `mem` is fixed because fflate otherwise derives it from `Math.log(length)`, an
 *   implementation-approximated function.
 *
 * CRC-32 is written here and Adler-32 in `shared/zlib-stored` because fflate does not export them.
 *
 * Besides `encodePng`, the building blocks are exported (`deflateImage`, `ihdrData`, `writeChunks`)
 * so that `shared/apng` compresses frames the same deterministic way.
 */
import { zlibSync } from 'fflate'
import { adler32, storedBlockHeader, zlibStored } from './zlib-stored'

/**
 * Largest scanline size (filter bytes included) stored uncompressed. Measured on the shipped
 * model's digits in Node: `encodePng` of a 28×28 digit took 118 µs at fflate level 4 (363 B), and
 * 90–108 µs at levels 1–2 for the zlib stream alone (311–316 B of it), against 8–15 µs stored
 * (880 B). Above this size deflate pays for itself: an 8× upscaled digit is 577 B deflated against
 * 51 KB stored.
 */
export const STORED_MAX_BYTES = 1024

/**
 * Measured on MNIST digits: level 4 compresses a 28×28 digit to within 8 % of level 9 at 0.6× the
 * time of level 6, and an 8× upscaled one to 577 B where level 1 gives 2.2 KB.
 */
const DEFLATE_LEVEL = 4
/** 2^12 hash-table entries (fflate's own choice for small inputs); fewer to allocate per image. */
const DEFLATE_MEM = 0

/** The 8 bytes every PNG (and APNG) starts with. */
export const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] as const

/** PNG colour type per channel count: 0 grayscale, 2 RGB, 6 RGBA. */
const COLOR_TYPE: Record<number, number> = { 1: 0, 3: 2, 4: 6 }

/** Largest width or height PNG allows. */
const MAX_SIDE = 0x7fffffff

/** CRC-32 (ISO-HDLC, reflected polynomial 0xEDB88320) lookup table, as PNG requires. */
const CRC_TABLE = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

/**
 * CRC-32 of `bytes[start, end)` as an unsigned integer.
 *
 * @example
 * crc32(new Uint8Array([0x49, 0x45, 0x4e, 0x44])) // 0xAE426082, the CRC of an IEND chunk
 */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

/** One PNG chunk before framing: its 4-letter type and its data. */
export interface PngChunk {
  type: string
  data: Uint8Array
}

/**
 * Encode an 8-bit image as PNG bytes (deterministic for a given input).
 *
 * @param pixels row-major samples, `width · height · channels` bytes, channels interleaved.
 * @param channels 1 (grayscale), 3 (RGB) or 4 (RGBA).
 * @throws RangeError for a bad size, channel count or pixel-buffer length.
 * @example
 * const png = encodePng(generator.runGray(z), 28, 28) // image/png body
 */
export function encodePng(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: 1 | 3 | 4 = 1,
): Uint8Array<ArrayBuffer> {
  checkImage(pixels, width, height, channels)
  if ((width * channels + 1) * height <= STORED_MAX_BYTES) {
    return storedPng(pixels, width, height, channels)
  }
  return writeChunks([
    { type: 'IHDR', data: ihdrData(width, height, channels) },
    { type: 'IDAT', data: deflateImage(pixels, width, height, channels) },
    { type: 'IEND', data: new Uint8Array(0) },
  ])
}

/**
 * `encodePng` of a small (stored) image, written into one buffer: the same bytes as `writeChunks`
 * of IHDR, IDAT `zlibStored(scanlines)` and IEND (tested), without the intermediate arrays, whose
 * allocation and copying would cost more than the checksums at this size.
 */
function storedPng(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: number,
): Uint8Array<ArrayBuffer> {
  const stride = width * channels
  const rawLength = (stride + 1) * height // ≤ STORED_MAX_BYTES: one stored block
  const idatLength = 2 + 5 + rawLength + 4
  const out = new Uint8Array(PNG_SIGNATURE.length + (12 + 13) + (12 + idatLength) + 12)
  const view = new DataView(out.buffer)
  out.set(PNG_SIGNATURE, 0)
  let pos = PNG_SIGNATURE.length
  // IHDR: length, type, 13 data bytes, CRC of type and data
  view.setUint32(pos, 13)
  writeType(out, pos + 4, 'IHDR')
  writeIhdr(view, pos + 8, width, height, checkChannels(channels))
  view.setUint32(pos + 21, crc32(out, pos + 4, pos + 21))
  pos += 25
  // IDAT: zlib header, one final stored block of the scanlines, Adler-32
  const idatStart = pos
  view.setUint32(pos, idatLength)
  writeType(out, pos + 4, 'IDAT')
  out[pos + 8] = 0x78
  out[pos + 9] = 0x01
  storedBlockHeader(out, pos + 10, rawLength, true)
  pos += 15
  const rawStart = pos
  for (let y = 0, i = 0; y < height; y++) {
    out[pos++] = 0 // filter type None
    for (let x = 0; x < stride; x++) out[pos++] = pixels[i++]
  }
  view.setUint32(pos, adler32(out, rawStart, pos))
  view.setUint32(pos + 4, crc32(out, idatStart + 4, pos + 4))
  pos += 8
  // IEND: no data
  writeType(out, pos + 4, 'IEND')
  view.setUint32(pos + 8, crc32(out, pos + 4, pos + 8))
  return out
}

function writeType(out: Uint8Array, pos: number, type: string): void {
  for (let i = 0; i < 4; i++) out[pos + i] = type.charCodeAt(i)
}

/**
 * The zlib stream of an image's scanlines, filter type 0 (None) on every row: stored up to
 * {@link STORED_MAX_BYTES}, else deflated at the fixed settings above. The data of an IDAT chunk
 * (or, behind a sequence number, of an APNG fdAT).
 *
 * @throws RangeError for a bad size, channel count or pixel-buffer length.
 * @example
 * const idat = deflateImage(gray, 28, 28, 1)
 */
export function deflateImage(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: number,
): Uint8Array {
  checkImage(pixels, width, height, channels)
  const stride = width * channels
  // Scanlines: filter byte 0 (None), then the row's samples. [height, 1 + stride]
  const raw = new Uint8Array((stride + 1) * height)
  for (let y = 0; y < height; y++)
    raw.set(pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1)
  if (raw.length <= STORED_MAX_BYTES) return zlibStored(raw)
  return zlibSync(raw, { level: DEFLATE_LEVEL, mem: DEFLATE_MEM })
}

/**
 * The 13 data bytes of an IHDR chunk: size, bit depth 8, the colour type of `channels`, deflate,
 * filter method 0, no interlace.
 *
 * @throws RangeError for a bad size or channel count.
 * @example
 * writeChunks([{ type: 'IHDR', data: ihdrData(28, 28, 1) }, …])
 */
export function ihdrData(width: number, height: number, channels: number): Uint8Array {
  checkSize(width, height)
  const data = new Uint8Array(13)
  writeIhdr(new DataView(data.buffer), 0, width, height, checkChannels(channels))
  return data
}

function writeIhdr(view: DataView, pos: number, width: number, height: number, colorType: number) {
  view.setUint32(pos, width)
  view.setUint32(pos + 4, height)
  view.setUint8(pos + 8, 8) // bit depth
  view.setUint8(pos + 9, colorType)
  view.setUint8(pos + 10, 0) // compression: deflate
  view.setUint8(pos + 11, 0) // filter method 0
  view.setUint8(pos + 12, 0) // no interlace
}

/**
 * The PNG signature followed by the chunks, each framed as length, type, data, CRC-32 of type and
 * data. The caller orders the chunks (IHDR first, IEND last).
 *
 * @example
 * const png = writeChunks([{ type: 'IHDR', data: ihdr }, { type: 'IDAT', data: idat }, iend])
 */
export function writeChunks(chunks: PngChunk[]): Uint8Array<ArrayBuffer> {
  let size = PNG_SIGNATURE.length
  for (const { data } of chunks) size += 12 + data.length
  const out = new Uint8Array(size)
  const view = new DataView(out.buffer)
  out.set(PNG_SIGNATURE, 0)
  let pos = PNG_SIGNATURE.length
  for (const { type, data } of chunks) {
    if (!/^[A-Za-z]{4}$/.test(type)) {
      throw new RangeError(
        `Expected a chunk type of 4 ASCII letters, but got ${JSON.stringify(type)}.`,
      )
    }
    view.setUint32(pos, data.length)
    for (let i = 0; i < 4; i++) out[pos + 4 + i] = type.charCodeAt(i)
    out.set(data, pos + 8)
    // CRC over type and data, not the length
    view.setUint32(pos + 8 + data.length, crc32(out, pos + 4, pos + 8 + data.length))
    pos += 12 + data.length
  }
  return out
}

function checkSize(width: number, height: number): void {
  for (const [name, value] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(value) || value < 1 || value > MAX_SIDE) {
      throw new RangeError(`Expected ${name} to be a positive integer, but got ${String(value)}.`)
    }
  }
}

/** The PNG colour type of a channel count. */
function checkChannels(channels: number): number {
  const colorType = COLOR_TYPE[channels]
  if (colorType === undefined) {
    throw new RangeError(`Expected channels to be 1, 3 or 4, but got ${String(channels)}.`)
  }
  return colorType
}

function checkImage(pixels: Uint8Array, width: number, height: number, channels: number): void {
  checkSize(width, height)
  checkChannels(channels)
  const stride = width * channels
  if (pixels.length !== stride * height) {
    throw new RangeError(
      `Expected ${width}×${height}×${channels} = ${stride * height} pixel bytes, but got ${pixels.length}.`,
    )
  }
}
