import { inflateSync } from 'node:zlib'
import { unzlibSync } from 'fflate'
import { describe, expect, it } from 'vitest'
import { zlibImage } from '../../../shared/codec/deflate-image'
import { Xoshiro128 } from '../../../shared/latent/rng'

/** The scanlines the stream must inflate to: `pixels` upscaled by nearest neighbour, filter 0. */
function upscaledScanlines(pixels: Uint8Array, w: number, h: number, c: number, scale: number) {
  const stride = w * scale * c + 1
  const out = new Uint8Array(stride * h * scale)
  for (let y = 0; y < h * scale; y++) {
    for (let x = 0; x < w * scale; x++) {
      const src = (Math.floor(y / scale) * w + Math.floor(x / scale)) * c
      for (let k = 0; k < c; k++) out[y * stride + 1 + x * c + k] = pixels[src + k]
    }
  }
  return out
}

/** node:zlib checks the Adler-32; fflate is a second, independent inflater. */
function expectInflatesTo(stream: Uint8Array, want: Uint8Array, what: string): void {
  expect(inflateSync(stream).equals(want), what).toBe(true)
  expect(Buffer.from(unzlibSync(stream)).equals(want), what).toBe(true)
}

describe('zlibImage', () => {
  it('should inflate to the upscaled scanlines for every kind of content and shape', () => {
    const rng = new Xoshiro128(5)
    const contents = {
      noise: () => (rng.nextUint32() & 0xff),
      sparse: () => (rng.nextFloat() < 0.8 ? 0 : 200),
      flat: () => 7,
      stripes: (i: number) => (Math.floor(i / 5) % 3) * 90,
    }
    for (let trial = 0; trial < 240; trial++) {
      const channels = [1, 1, 3, 4][trial % 4]
      const width = 1 + ((trial * 7919) % 60)
      const height = 1 + ((trial * 104_729) % 25)
      const scale = 1 + (trial % 16)
      const [name, fill] = Object.entries(contents)[trial % 4]
      const pixels = Uint8Array.from({ length: width * height * channels }, (_, i) => fill(i))
      // every third image repeats each row once: the row-above copies across base rows
      if (trial % 3 === 0) {
        const stride = width * channels
        for (let y = 1; y < height; y += 2) {
          pixels.copyWithin(y * stride, (y - 1) * stride, y * stride)
        }
      }
      const what = `${name} ${width}×${height}×${channels} scale ${scale}`
      const stream = zlibImage(pixels, width, height, channels, scale)
      expectInflatesTo(stream, upscaledScanlines(pixels, width, height, channels, scale), what)
    }
  })

  it('should cover run lengths around the match limits (1–3 and 256–261 bytes)', () => {
    for (const run of [1, 2, 3, 4, 256, 257, 258, 259, 260, 261, 516, 517]) {
      const pixels = new Uint8Array(run + 2).fill(9)
      pixels[0] = 1
      pixels[run + 1] = 2 // a run of `run` nines between two other values
      for (const scale of [1, 2, 3]) {
        const stream = zlibImage(pixels, run + 2, 1, 1, scale)
        expectInflatesTo(stream, upscaledScanlines(pixels, run + 2, 1, 1, scale), `run ${run}`)
      }
    }
  })

  it('should write rows too wide for a row copy (over 32 KiB) as runs', () => {
    const width = 3000
    const pixels = Uint8Array.from({ length: width * 3 }, (_, i) => (i % 37) * 5)
    const stream = zlibImage(pixels, width, 3, 1, 12) // 36 001-byte scanlines
    expectInflatesTo(stream, upscaledScanlines(pixels, width, 3, 1, 12), 'wide')
  })

  it('should compress upscaled images to a small fraction of their scanlines', () => {
    // A digit-like image: a dark background with a bright blob.
    const digit = Uint8Array.from({ length: 28 * 28 }, (_, i) => {
      const [x, y] = [i % 28, Math.floor(i / 28)]
      return (x - 14) ** 2 + (y - 14) ** 2 < 40 ? 128 + x * 4 : 0
    })
    const one = zlibImage(digit, 28, 28, 1, 1).length
    const sixteen = zlibImage(digit, 28, 28, 1, 16).length
    expect(one).toBeLessThan((28 * 28 + 28) / 2)
    // 448 × 448: runs and row copies, a match per 258 bytes at most
    expect(sixteen).toBeLessThan((448 * 448 + 448) / 50)
  })
})
