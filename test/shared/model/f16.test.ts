import { describe, expect, it } from 'vitest'
import {
  fromHalfBits,
  readTensor,
  tensorByteLength,
  toHalfBits,
  writeTensor,
} from '../../../shared/model/f16'
import { Xoshiro128 } from '../../../shared/latent/rng'

/** Reference: the half nearest to x (ties to even), by brute force over all finite halves. */
const HALVES = Array.from({ length: 0x7c00 }, (_, bits) => fromHalfBits(bits)) // +0 … 65504

function nearestHalfBits(x: number): number {
  const a = Math.abs(x)
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0
  if (a >= 65520) return sign | 0x7c00
  let lo = 0
  let hi = HALVES.length - 1
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1
    if (HALVES[mid] <= a) lo = mid
    else hi = mid
  }
  const dLo = a - HALVES[lo]
  const dHi = HALVES[hi] - a
  const bits = dLo < dHi ? lo : dHi < dLo ? hi : lo % 2 === 0 ? lo : hi
  return sign | bits
}

describe('toHalfBits / fromHalfBits', () => {
  it('should round-trip every finite half exactly', () => {
    const bad: number[] = []
    for (let bits = 0; bits < 0x10000; bits++) {
      if ((bits & 0x7c00) === 0x7c00) continue
      if (toHalfBits(fromHalfBits(bits)) !== bits) bad.push(bits)
    }
    expect(bad).toEqual([])
  })

  it('should round to nearest, ties to even, like a brute-force reference', () => {
    const rng = new Xoshiro128(16)
    const xs = Array.from({ length: 20_000 }, () => {
      const mag = 2 ** ((rng.nextFloat() - 0.5) * 50)
      return Math.fround((rng.nextFloat() < 0.5 ? -1 : 1) * mag)
    })
    // exact midpoints between neighbouring halves, normal and subnormal
    for (const bits of [0, 1, 2, 0x3ff, 0x400, 0x3c00, 0x3c01, 0x7bfe]) {
      xs.push((fromHalfBits(bits) + fromHalfBits(bits + 1)) / 2)
    }
    const bad = xs.filter((x) => toHalfBits(x) !== nearestHalfBits(x))
    expect(bad).toEqual([])
  })

  it('should handle zeros, subnormals, overflow, infinities and NaN', () => {
    expect(toHalfBits(0)).toBe(0)
    expect(toHalfBits(-0)).toBe(0x8000)
    expect(toHalfBits(2 ** -24)).toBe(1)
    expect(toHalfBits(2 ** -25)).toBe(0) // tie → even (0)
    expect(toHalfBits(3 * 2 ** -26)).toBe(1)
    expect(toHalfBits(2 ** -14)).toBe(0x0400)
    expect(toHalfBits(65504)).toBe(0x7bff)
    expect(toHalfBits(65519)).toBe(0x7bff)
    expect(toHalfBits(65520)).toBe(0x7c00)
    expect(toHalfBits(-1e9)).toBe(0xfc00)
    expect(toHalfBits(Infinity)).toBe(0x7c00)
    expect(toHalfBits(NaN)).toBe(0x7e00)
    expect(fromHalfBits(0x7c00)).toBe(Infinity)
    expect(fromHalfBits(0xfc00)).toBe(-Infinity)
    expect(fromHalfBits(0x7e00)).toBeNaN()
    expect(Object.is(fromHalfBits(0x8000), -0)).toBe(true)
    expect(fromHalfBits(0x3555)).toBe(0.333251953125)
  })
})

describe('tensor codecs', () => {
  it('should size tensors per dtype, q8 with one f32 scale per unit', () => {
    expect(tensorByteLength('f32', [3, 5])).toBe(60)
    expect(tensorByteLength('f16', [3, 5])).toBe(30)
    expect(tensorByteLength('q8', [3, 5])).toBe(20 + 15)
  })

  it('should store q8 as per-unit scales then row-major int8, little-endian', () => {
    const values = new Float32Array([1, -2, 0, 0.5, 1, 0]) // [3, 2]
    const view = new DataView(new ArrayBuffer(tensorByteLength('q8', [3, 2])))
    writeTensor(view, 0, 'q8', [3, 2], values)
    expect(view.getFloat32(0, true)).toBe(Math.fround(1 / 127))
    expect(view.getFloat32(4, true)).toBe(Math.fround(2 / 127))
    const q = Array.from(new Int8Array(view.buffer, 8))
    expect(q).toEqual([127, -127, 0, 32, 127, 0])
    expect(Array.from(readTensor(view, 0, 'q8', [3, 2]))).toEqual(
      q.map((v, i) => Math.fround(v * Math.fround((i % 2 === 0 ? 1 : 2) / 127))),
    )
  })

  it('should pack q12 two values per three bytes and sign-extend them back', () => {
    const values = new Float32Array([2047, -2047, 1, -1, 0, 1000, -5])
    const shape = [7, 1]
    expect(tensorByteLength('q12', shape)).toBe(4 + 12)
    const view = new DataView(new ArrayBuffer(tensorByteLength('q12', shape)))
    writeTensor(view, 0, 'q12', shape, values)
    expect(view.getFloat32(0, true)).toBe(1)
    expect(Array.from(readTensor(view, 0, 'q12', shape))).toEqual(Array.from(values))
  })

  it('should store q14 as one scale per tensor then row-major int16, little-endian', () => {
    const values = new Float32Array([1, -2, 0, 0.5, 2, 3e-4]) // [3, 2]; maxAbs 2
    const shape = [3, 2]
    expect(tensorByteLength('q14', shape)).toBe(4 + 2 * 6)
    const view = new DataView(new ArrayBuffer(tensorByteLength('q14', shape)))
    writeTensor(view, 0, 'q14', shape, values)
    const scale = Math.fround(2 / 8191)
    expect(view.getFloat32(0, true)).toBe(scale)
    const q = Array.from(new Int16Array(view.buffer, 4))
    // one step for every unit: column 0 (max 1) is not stretched to ±8191 as q8/q12 would
    expect(q).toEqual([4096, -8191, 0, 2048, 8191, 1])
    expect(Array.from(readTensor(view, 0, 'q14', shape))).toEqual(
      q.map((v) => Math.fround(v * scale)),
    )
  })

  it('should round q14 halves away from zero and keep every value within half a step', () => {
    // scale fround(8191 / 8191) = 1: ±0.5 and ±2.5 are exact halves
    const halves = new Float32Array([8191, 0.5, -0.5, 2.5, -2.5, 1.4999, -0])
    const view = new DataView(new ArrayBuffer(tensorByteLength('q14', [7, 1])))
    writeTensor(view, 0, 'q14', [7, 1], halves)
    expect(Array.from(new Int16Array(view.buffer, 4))).toEqual([8191, 1, -1, 3, -3, 1, 0])

    const rng = new Xoshiro128(14)
    const values = Float32Array.from({ length: 4096 }, () => (rng.nextFloat() - 0.5) * 0.3)
    const big = new DataView(new ArrayBuffer(tensorByteLength('q14', [64, 64])))
    writeTensor(big, 0, 'q14', [64, 64], values)
    const step = big.getFloat32(0, true)
    const got = readTensor(big, 0, 'q14', [64, 64])
    const worst = Math.max(...values.map((v, i) => Math.abs(got[i] - v)))
    expect(worst).toBeLessThanOrEqual(step / 2 + 1e-9)
    expect(worst).toBeGreaterThan(step / 4) // it does quantize
  })

  it('should use scale 1 for an all-zero q14 tensor', () => {
    const view = new DataView(new ArrayBuffer(tensorByteLength('q14', [2, 2])))
    writeTensor(view, 0, 'q14', [2, 2], new Float32Array(4))
    expect(view.getFloat32(0, true)).toBe(1)
    expect(Array.from(readTensor(view, 0, 'q14', [2, 2]))).toEqual([0, 0, 0, 0])
  })

  it('should use scale 1 for an all-zero q8 column', () => {
    const view = new DataView(new ArrayBuffer(tensorByteLength('q8', [2, 1])))
    writeTensor(view, 0, 'q8', [2, 1], new Float32Array([0, 0]))
    expect(view.getFloat32(0, true)).toBe(1)
    expect(Array.from(readTensor(view, 0, 'q8', [2, 1]))).toEqual([0, 0])
  })
})
