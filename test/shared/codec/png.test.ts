import { deflateSync, crc32 as nodeCrc32, inflateSync } from 'node:zlib'
import { sha256Hex } from '../../../shared/codec/sha256'
import { unzlibSync } from 'fflate'
import { describe, expect, it } from 'vitest'
import { crc32, encodePng, ihdrData, STORED_MAX_BYTES, writeChunks } from '../../../shared/codec/png'
import { adler32, zlibStored } from '../../../shared/codec/zlib-stored'

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

/** Adler-32 straight from RFC 1950, reduced at every step. */
function adlerReference(bytes: Uint8Array): number {
  let a = 1
  let b = 0
  for (const byte of bytes) {
    a = (a + byte) % 65521
    b = (b + a) % 65521
  }
  return (b * 65536 + a) >>> 0
}

/** Scanlines with filter byte 0, as the encoder lays them out. */
function scanlines(pixels: Uint8Array, stride: number): Uint8Array {
  const height = pixels.length / stride
  const raw = new Uint8Array((stride + 1) * height)
  for (let y = 0; y < height; y++) {
    raw.set(pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1)
  }
  return raw
}

describe('adler32', () => {
  it('should match the standard check value and a step-by-step reference', () => {
    expect(adler32(new TextEncoder().encode('Wikipedia'))).toBe(0x11e60398)
    expect(adler32(new Uint8Array())).toBe(1)
    // long runs of 0xff overflow the 5552-byte reduction interval if it is wrong
    for (const bytes of [gradient(100_003), new Uint8Array(20_000).fill(255)]) {
      expect(adler32(bytes)).toBe(adlerReference(bytes))
    }
    const bytes = gradient(1000)
    expect(adler32(bytes, 100, 900)).toBe(adlerReference(bytes.subarray(100, 900)))
  })
})

describe('zlibStored', () => {
  it('should equal zlib level 0 byte for byte up to the stored-image limit', () => {
    for (const n of [0, 1, 812, STORED_MAX_BYTES]) {
      const bytes = gradient(n)
      expect(Array.from(zlibStored(bytes))).toEqual(Array.from(deflateSync(bytes, { level: 0 })))
    }
  })

  it('should split long inputs into 65 535-byte blocks that inflate back exactly', () => {
    for (const n of [65_535, 65_536, 200_000]) {
      const bytes = gradient(n)
      const stream = zlibStored(bytes)
      expect(stream.length).toBe(2 + 5 * Math.ceil(n / 65_535) + n + 4)
      // Buffer.equals: toEqual walks 200k elements one by one, which takes seconds
      expect(inflateSync(stream).equals(bytes)).toBe(true)
      expect(Buffer.from(unzlibSync(stream)).equals(bytes)).toBe(true)
    }
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

  it('should store small images and deflate larger ones, choosing by scanline bytes', () => {
    const idat = (png: Uint8Array) => readChunks(png)[1].data
    // 31 × 32 + 32 = 1024 bytes of scanlines: stored; one more row: deflated
    const small = gradient(31 * 32)
    const stored = idat(encodePng(small, 31, 32))
    expect(stored[2] & 0b111).toBe(0b001) // BFINAL 1, BTYPE 00 (stored)
    expect(stored.length).toBe(2 + 5 + STORED_MAX_BYTES + 4)
    const large = new Uint8Array(31 * 33) // all black: compresses well
    const deflated = idat(encodePng(large, 31, 33))
    expect(deflated[2] & 0b110).not.toBe(0) // BTYPE 01 or 10 (Huffman-coded)
    expect(deflated.length).toBeLessThan(100)
    expect(decode(encodePng(large, 31, 33)).pixels).toEqual(large)
  })

  it('should write small images exactly as the chunk writer frames a stored zlib stream', () => {
    for (const [width, height, channels] of [
      [28, 28, 1],
      [1, 1, 1],
      [5, 3, 3],
      [7, 9, 4],
    ] as const) {
      const pixels = gradient(width * height * channels)
      const expected = writeChunks([
        { type: 'IHDR', data: ihdrData(width, height, channels) },
        { type: 'IDAT', data: zlibStored(scanlines(pixels, width * channels)) },
        { type: 'IEND', data: new Uint8Array(0) },
      ])
      expect(encodePng(pixels, width, height, channels)).toEqual(expected)
    }
  })

  it('should return the same bytes every time, pinned by golden hashes', () => {
    const png = encodePng(gradient(28 * 28), 28, 28)
    expect(png).toBeInstanceOf(Uint8Array)
    expect(png.buffer).toBeInstanceOf(ArrayBuffer)
    expect(encodePng(gradient(28 * 28), 28, 28)).toEqual(png)
    // Pinned: a change here changes every served PNG (and breaks caches keyed by ETag).
    expect(sha256Hex(png)).toBe(
      'd205ed2bc33a959833e42527cbd39d0716db00a8483ca5fa3650406cdad3977b',
    )
    // The deflated path (shared/codec/deflate-image), 56 × 56, and a 28 × 28 image at scale 2.
    expect(sha256Hex(encodePng(gradient(56 * 56), 56, 56))).toBe(
      'b5bed3834ba82f7498d2ddcff2bbe3e976544b1d689cd7a6e55d7b7016a72dd0',
    )
    expect(sha256Hex(encodePng(gradient(28 * 28), 28, 28, 1, 2))).toBe(
      '06294c8dca2219b6e1e6b7706dc98fcbefe44684370e72f853f52be7e6975e21',
    )
  })

  it('should upscale while encoding: the nearest-neighbour image, stored or deflated', () => {
    const upscale = (px: Uint8Array, w: number, h: number, c: number, scale: number) =>
      Uint8Array.from({ length: px.length * scale * scale }, (_, i) => {
        const [x, y, k] = [Math.floor(i / c) % (w * scale), Math.floor(i / c / (w * scale)), i % c]
        return px[(Math.floor(y / scale) * w + Math.floor(x / scale)) * c + k]
      })
    for (const [w, h, c] of [
      [28, 28, 1],
      [3, 2, 1],
      [5, 3, 3],
      [4, 4, 4],
    ] as const) {
      const pixels = gradient(w * h * c)
      for (const scale of [1, 2, 3, 7, 16]) {
        const img = decode(encodePng(pixels, w, h, c, scale))
        expect([img.width, img.height]).toEqual([w * scale, h * scale])
        expect(img.pixels).toEqual(upscale(pixels, w, h, c, scale))
      }
    }
    // a stored image at scale 2 equals the stored encoding of the upscaled pixels
    const tiny = gradient(6)
    expect(encodePng(tiny, 3, 2, 1, 2)).toEqual(encodePng(upscale(tiny, 3, 2, 1, 2), 6, 4))
    expect(() => encodePng(tiny, 3, 2, 1, 0)).toThrow(/scale to be a positive integer/)
    expect(() => encodePng(tiny, 3, 2, 1, 1.5)).toThrow(/scale to be a positive integer/)
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
