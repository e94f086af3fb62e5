/**
 * @module shared/codec/png
 * Minimal PNG encoder for 8-bit grayscale, RGB and RGBA images: signature, IHDR, one IDAT, IEND;
 * filter type 0 (None) on every row, no interlacing.
 *
 * The encoder takes an optional nearest-neighbour `scale` and writes the upscaled image without
 * materializing it. Compression is chosen by size, so that the output depends only on the pixels:
 * - up to {@link STORED_MAX_BYTES} of scanlines (a 28×28 digit is 812 B) the zlib stream holds one
 *   *stored* (uncompressed) deflate block (`shared/codec/zlib-stored`): ~10 µs, where any compressor's
 *   per-call setup cost more than the forward pass; the PNG grows from ~0.36 KB to 0.86 KB, which
 *   still fits one TCP segment with the response headers.
 * - larger images (upscaled digits, grids, strips) are deflated by `shared/codec/deflate-image`, whose
 *   only matches are runs of a pixel and rows repeated from the row above: its time follows the
 *   image before upscaling, so `scale=16` costs about what `scale=1` does.
 *
 * CRC-32 is written here and Adler-32 in `shared/codec/zlib-stored`.
 *
 * Besides `encodePng`, the building blocks are exported (`deflateImage`, `ihdrData`, `writeChunks`)
 * so that `shared/codec/apng` compresses frames the same deterministic way.
 */
import { zlibImage } from './deflate-image'
import { adler32, storedBlockHeader, zlibStored } from './zlib-stored'

/**
 * Largest scanline size (filter bytes included) stored uncompressed. Measured on the shipped
 * model's digits in Node: `encodePng` of a 28×28 digit took 118 µs with fflate at level 4 (363 B)
 * against 8–15 µs stored (880 B). Above this size compression pays for itself: an 8× upscaled
 * digit is 51 KB stored.
 */
export const STORED_MAX_BYTES = 1024

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
 * Encode an 8-bit image, upscaled `scale`× by nearest neighbour, as PNG bytes (deterministic for
 * a given input): the PNG is `width·scale × height·scale`.
 *
 * @param pixels row-major samples, `width · height · channels` bytes, channels interleaved.
 * @param channels 1 (grayscale), 3 (RGB) or 4 (RGBA).
 * @throws RangeError for a bad size, scale, channel count or pixel-buffer length.
 * @example
 * const png = encodePng(generator.runGray(z), 28, 28) // image/png body
 * const big = encodePng(generator.runGray(z), 28, 28, 1, 16) // the same digit, 448 × 448
 */
export function encodePng(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: 1 | 3 | 4 = 1,
  scale = 1,
): Uint8Array<ArrayBuffer> {
  checkImage(pixels, width, height, channels, scale)
  if (isStored(width, height, channels, scale)) {
    return storedPng(pixels, width, height, channels, scale)
  }
  return writeChunks([
    { type: 'IHDR', data: ihdrData(width * scale, height * scale, channels) },
    { type: 'IDAT', data: zlibImage(pixels, width, height, channels, scale) },
    { type: 'IEND', data: new Uint8Array(0) },
  ])
}

/** Whether the upscaled image's scanlines are small enough to store uncompressed. */
function isStored(width: number, height: number, channels: number, scale: number): boolean {
  return (width * scale * channels + 1) * height * scale <= STORED_MAX_BYTES
}

/**
 * `encodePng` of a small (stored) image, written into one buffer: the same bytes as `writeChunks`
 * of IHDR, IDAT `zlibStored(scanlines)` and IEND (tested), without the intermediate arrays, whose
 * allocation and copying would cost more than the checksums at this size.
 */
function storedPng(
  pixels: Uint8Array,
  baseWidth: number,
  baseHeight: number,
  channels: number,
  scale: number,
): Uint8Array<ArrayBuffer> {
  const [width, height] = [baseWidth * scale, baseHeight * scale]
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
  writeScanlines(out, pos, pixels, baseWidth, baseHeight, channels, scale)
  pos += rawLength
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
 * The zlib stream of an image's scanlines, upscaled `scale`×, filter type 0 (None) on every row:
 * stored up to {@link STORED_MAX_BYTES}, else deflated by `shared/codec/deflate-image`. The data of an
 * IDAT chunk (or, behind a sequence number, of an APNG fdAT).
 *
 * @throws RangeError for a bad size, scale, channel count or pixel-buffer length.
 * @example
 * const idat = deflateImage(gray, 28, 28, 1, 4) // a 112 × 112 frame
 */
export function deflateImage(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: number,
  scale = 1,
): Uint8Array {
  checkImage(pixels, width, height, channels, scale)
  if (!isStored(width, height, channels, scale)) {
    return zlibImage(pixels, width, height, channels, scale)
  }
  const raw = new Uint8Array((width * scale * channels + 1) * height * scale)
  writeScanlines(raw, 0, pixels, width, height, channels, scale)
  return zlibStored(raw)
}

/**
 * The scanlines of `pixels` upscaled `scale`× into `out` at `pos`: per output row, filter byte 0
 * (None), then the row's samples.
 */
function writeScanlines(
  out: Uint8Array,
  pos: number,
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: number,
  scale: number,
): void {
  const stride = width * channels
  for (let y = 0; y < height * scale; y++) {
    out[pos++] = 0
    const row = Math.floor(y / scale) * stride
    if (scale === 1) {
      for (let i = row; i < row + stride; i++) out[pos++] = pixels[i]
      continue
    }
    for (let x = 0; x < width; x++) {
      for (let k = 0; k < scale; k++) {
        for (let c = 0; c < channels; c++) out[pos++] = pixels[row + x * channels + c]
      }
    }
  }
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

function checkImage(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: number,
  scale = 1,
): void {
  if (!Number.isInteger(scale) || scale < 1) {
    throw new RangeError(`Expected scale to be a positive integer, but got ${String(scale)}.`)
  }
  checkSize(width * scale, height * scale)
  checkChannels(channels)
  const stride = width * channels
  if (pixels.length !== stride * height) {
    throw new RangeError(
      `Expected ${width}×${height}×${channels} = ${stride * height} pixel bytes, but got ${pixels.length}.`,
    )
  }
}
