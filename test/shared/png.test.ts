import { crc32 as nodeCrc32, inflateSync } from 'node:zlib'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { unzlibSync } from 'fflate'
import { describe, expect, it } from 'vitest'
import { crc32, encodePng } from '../../shared/png'

interface Chunk {
  type: string
  data: Uint8Array
  crc: number
  /** The type and data bytes the CRC covers. */
  covered: Uint8Array
}

/** A minimal PNG reader: signature, chunk framing and CRC fields, nothing interpreted. */
function readChunks(png: Uint8Array): Chunk[] {
  expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength)
  const chunks: Chunk[] = []
  let pos = 8
  while (pos < png.length) {
    const length = view.getUint32(pos)
    const type = String.fromCharCode(...png.subarray(pos + 4, pos + 8))
    const data = png.subarray(pos + 8, pos + 8 + length)
    chunks.push({
      type,
      data,
      crc: view.getUint32(pos + 8 + length),
      covered: png.subarray(pos + 4, pos + 8 + length),
    })
    pos += 12 + length
  }
  expect(pos).toBe(png.length)
  return chunks
}

/** Decode an encodePng image back to pixels, checking every structural field on the way. */
function decode(png: Uint8Array) {
  const chunks = readChunks(png)
  expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND'])
  for (const c of chunks) {
    expect(c.crc).toBe(crc32(c.covered))
    expect(c.crc).toBe(nodeCrc32(c.covered)) // independent implementation
  }
  const ihdr = new DataView(chunks[0].data.buffer, chunks[0].data.byteOffset, 13)
  expect(chunks[0].data.length).toBe(13)
  const width = ihdr.getUint32(0)
  const height = ihdr.getUint32(4)
  const [depth, colorType, compression, filter, interlace] = chunks[0].data.subarray(8)
  expect([depth, compression, filter, interlace]).toEqual([8, 0, 0, 0])
  const channels = ({ 0: 1, 2: 3, 6: 4 } as Record<number, number>)[colorType]
  const raw = unzlibSync(chunks[1].data)
  expect(Array.from(inflateSync(chunks[1].data))).toEqual(Array.from(raw)) // zlib agrees
  const stride = width * channels
  expect(raw.length).toBe((stride + 1) * height)
  const pixels = new Uint8Array(stride * height)
  for (let y = 0; y < height; y++) {
    expect(raw[y * (stride + 1)]).toBe(0) // filter type None
    pixels.set(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)), y * stride)
  }
  expect(chunks[2].data.length).toBe(0)
  return { width, height, colorType, channels, pixels }
}

function gradient(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 37 + (i >> 3)) & 0xff)
}

describe('crc32', () => {
  it('should match the standard check value and the IEND CRC', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926)
    expect(crc32(new TextEncoder().encode('IEND'))).toBe(0xae426082)
    expect(crc32(new Uint8Array())).toBe(0)
  })
})

describe('encodePng', () => {
  it('should encode grayscale pixels that decode back exactly', () => {
    const pixels = gradient(28 * 28)
    const img = decode(encodePng(pixels, 28, 28))
    expect(img).toMatchObject({ width: 28, height: 28, colorType: 0, channels: 1 })
    expect(img.pixels).toEqual(pixels)
  })

  it('should encode RGB and RGBA with colour types 2 and 6', () => {
    const rgb = gradient(5 * 3 * 3)
    expect(decode(encodePng(rgb, 5, 3, 3))).toMatchObject({
      width: 5,
      height: 3,
      colorType: 2,
      pixels: rgb,
    })
    const rgba = gradient(2 * 7 * 4)
    expect(decode(encodePng(rgba, 2, 7, 4))).toMatchObject({
      width: 2,
      height: 7,
      colorType: 6,
      pixels: rgba,
    })
  })

  it('should handle a 1×1 image and a wide, tall image', () => {
    expect(decode(encodePng(new Uint8Array([200]), 1, 1)).pixels).toEqual(new Uint8Array([200]))
    const wide = gradient(300 * 2)
    expect(decode(encodePng(wide, 300, 2)).pixels).toEqual(wide)
    const tall = gradient(3 * 500)
    expect(decode(encodePng(tall, 3, 500)).pixels).toEqual(tall)
  })

  it('should return the same bytes every time, pinned by a golden hash', () => {
    const png = encodePng(gradient(28 * 28), 28, 28)
    expect(png).toBeInstanceOf(Uint8Array)
    expect(png.buffer).toBeInstanceOf(ArrayBuffer)
    expect(encodePng(gradient(28 * 28), 28, 28)).toEqual(png)
    // Pinned: a change here changes every served PNG (and breaks caches keyed by ETag).
    expect(bytesToHex(sha256(png))).toBe(
      '10f09305b7ca7b80941e2ae2047c768e51a9f7e33c48d0bc6a7d6fc17ef02137',
    )
  })

  it('should reject bad sizes, channel counts and buffer lengths', () => {
    expect(() => encodePng(new Uint8Array(4), 2, 2, 2 as 1)).toThrow(
      'Expected channels to be 1, 3 or 4, but got 2.',
    )
    expect(() => encodePng(new Uint8Array(4), 0, 4)).toThrow(/width to be a positive integer/)
    expect(() => encodePng(new Uint8Array(4), 2, 2.5)).toThrow(/height/)
    expect(() => encodePng(new Uint8Array(5), 2, 2)).toThrow(
      'Expected 2×2×1 = 4 pixel bytes, but got 5.',
    )
    expect(() => encodePng(new Uint8Array(4), 2, 2, 3)).toThrow(RangeError)
  })
})
