import { inflateRawSync } from 'node:zlib'
import { deflateSync, inflateSync } from 'fflate'
import { describe, expect, it } from 'vitest'
import { codeLengths, deflateLiterals } from '../../../shared/codec/deflate-literals'
import { packPayload, unpackPayload } from '../../../shared/model/payload-codec'
import { Xoshiro128 } from '../../../shared/latent/rng'
import { sha256Hex } from '../../../shared/codec/sha256'

/** Bytes of a rounded, roughly normal distribution (std `spread`) around 128: skewed, unordered. */
function normalBytes(n: number, spread: number, seed = 1): Uint8Array {
  const rng = new Xoshiro128(seed)
  return Uint8Array.from({ length: n }, () => {
    let s = 0
    for (let k = 0; k < 4; k++) s += rng.nextFloat() - 0.5 // variance 4/12
    return Math.max(0, Math.min(255, Math.round(128 + s * spread * Math.sqrt(3))))
  })
}

/** Both inflaters must give `data` back. */
function expectRoundTrip(data: Uint8Array, blockSize?: number): Uint8Array {
  const stream = deflateLiterals(data, blockSize)
  expect(Buffer.from(inflateSync(stream)).equals(data)).toBe(true)
  expect(inflateRawSync(stream).equals(data)).toBe(true) // zlib is strict about code completeness
  return stream
}

describe('deflateLiterals', () => {
  it('should round-trip empty, one-byte, constant and two-symbol inputs', () => {
    expectRoundTrip(new Uint8Array())
    expectRoundTrip(new Uint8Array([7]))
    expectRoundTrip(new Uint8Array([0]))
    expectRoundTrip(new Uint8Array(1000).fill(255))
    expectRoundTrip(Uint8Array.from({ length: 999 }, (_, i) => (i % 3 === 0 ? 1 : 200)))
  })

  it('should round-trip every byte value across many blocks, the last one short', () => {
    const data = Uint8Array.from({ length: 70_001 }, (_, i) => (i * 131 + (i >> 9)) & 0xff)
    expectRoundTrip(data, 4096)
    expectRoundTrip(normalBytes(50_000, 20), 1000)
  })

  it('should limit codes to 15 bits on counts that would build a deeper tree', () => {
    // Fibonacci counts give the deepest Huffman tree: depth 24 for 25 symbols unlimited.
    const fib = [1, 1]
    while (fib.length < 25) fib.push(fib[fib.length - 1] + fib[fib.length - 2])
    const freq = new Float64Array(257)
    fib.forEach((count, s) => (freq[s] = count))
    freq[256] = 1
    const lengths = codeLengths(freq)
    expect(Math.max(...lengths)).toBeLessThanOrEqual(15)
    expect(lengths[0]).toBeGreaterThan(lengths[24]) // rarer symbols still get longer codes
    let kraft = 0
    for (const len of lengths) if (len > 0) kraft += 2 ** -len
    expect(kraft).toBe(1) // a complete code, as zlib's inflate requires
    // and a stream with those counts decodes
    const data = new Uint8Array(fib.reduce((a, b) => a + b, 0))
    let at = 0
    fib.forEach((count, s) => data.fill(s, at, (at += count)))
    expectRoundTrip(data)
  })

  it('should give optimal lengths where no limit applies, ties broken by symbol', () => {
    const freq = new Float64Array(257)
    freq.set([1, 1, 2, 4])
    expect(Array.from(codeLengths(freq).subarray(0, 5))).toEqual([3, 3, 2, 1, 0])
    const even = new Float64Array(257)
    even.set([5, 5, 5, 5])
    expect(Array.from(codeLengths(even).subarray(0, 4))).toEqual([2, 2, 2, 2])
  })

  it('should beat LZ77 on skewed random bytes, where matches do not pay', () => {
    const data = normalBytes(200_000, 6)
    const literals = expectRoundTrip(data)
    expect(literals.length).toBeLessThan(deflateSync(data, { level: 9, mem: 8 }).length)
  })

  it('should be deterministic, pinned by a golden hash', () => {
    const data = normalBytes(10_000, 10, 7)
    const stream = deflateLiterals(data)
    expect(deflateLiterals(data)).toEqual(stream)
    // Pinned: a change here changes the bytes (and sha256) of every re-exported model payload.
    expect(sha256Hex(stream)).toBe(
      '5b4a947a31ba712fe3b418d6e07039fffc4ceca9feddc33e5849099ca1aa7612',
    )
  })

  it('should reject a bad block size', () => {
    expect(() => deflateLiterals(new Uint8Array(4), 0)).toThrow(
      'Expected blockSize to be a positive integer, but got 0.',
    )
    expect(() => deflateLiterals(new Uint8Array(4), 1.5)).toThrow(RangeError)
  })
})

describe('packPayload', () => {
  it('should keep the smaller of the LZ77 and literals-only streams, and decode either', () => {
    const random = normalBytes(40_000, 8) // literals-only wins
    const repetitive = Uint8Array.from({ length: 40_000 }, (_, i) => (i % 100) * 2) // LZ77 wins
    for (const [raw, winner] of [
      [random, 'literals'],
      [repetitive, 'lz'],
    ] as const) {
      const planes = new Uint8Array(raw.length)
      const half = raw.length >>> 1
      for (let i = 0; i < half; i++) {
        planes[i] = raw[2 * i]
        planes[half + i] = raw[2 * i + 1]
      }
      const packed = packPayload(raw)
      const lz = deflateSync(planes, { level: 9, mem: 8 }).length
      const lit = deflateLiterals(planes).length
      expect(lit < lz ? 'literals' : 'lz').toBe(winner) // both branches are exercised
      expect(packed.length).toBe(Math.min(lz, lit))
      expect(unpackPayload(packed, raw.length)).toEqual(raw)
    }
  })
})
