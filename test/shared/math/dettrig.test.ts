/**
 * @module test/shared/math/dettrig
 * detSin and detAcos against V8's Math.sin/Math.acos (fdlibm ports too): within 1 ulp everywhere
 * sampled, exact at the special points, and pinned bit patterns so a change that would move served
 * interpolation images cannot pass unnoticed.
 */
import { describe, expect, it } from 'vitest'
import { detAcos, detSin, MAX_SIN_ARGUMENT } from '../../../shared/math/dettrig'
import { Xoshiro128 } from '../../../shared/latent/rng'

/** Distance in units in the last place, by counting representable doubles between a and b. */
function ulps(a: number, b: number): number {
  if (a === b) return 0
  const view = new DataView(new ArrayBuffer(16))
  view.setFloat64(0, a)
  view.setFloat64(8, b)
  const order = (at: number) => {
    const bits = view.getBigInt64(at)
    return bits < 0n ? -(bits & 0x7fffffffffffffffn) : bits
  }
  const d = order(0) - order(8)
  return Number(d < 0n ? -d : d)
}

function hexBits(x: number): string {
  const view = new DataView(new ArrayBuffer(8))
  view.setFloat64(0, x)
  return view.getBigUint64(0).toString(16).padStart(16, '0')
}

describe('detSin', () => {
  it('should stay within 1 ulp of Math.sin on [-4π, 4π] and on tiny arguments', () => {
    const rng = new Xoshiro128(7)
    let worst = 0
    for (let i = 0; i < 100_000; i++) {
      const u = rng.nextFloat() * 2 - 1
      const x = i % 2 ? u * 4 * Math.PI : u * Math.PI * 2 ** -(i % 40)
      worst = Math.max(worst, ulps(detSin(x), Math.sin(x)))
    }
    expect(worst).toBeLessThanOrEqual(1)
  })

  it('should be exact where sin is known and keep the sign of zero', () => {
    expect(detSin(0)).toBe(0)
    expect(Object.is(detSin(-0), -0)).toBe(true)
    expect(detSin(Math.PI / 2)).toBe(1)
    expect(detSin(-Math.PI / 2)).toBe(-1)
    expect(detSin(Math.PI)).toBe(Math.sin(Math.PI)) // 1.2246467991473532e-16: π is not exact
    expect(detSin(1e-300)).toBe(1e-300)
  })

  it('should reduce large arguments accurately up to MAX_SIN_ARGUMENT', () => {
    for (const x of [1e3, 1e5, 123456.789, 823000, MAX_SIN_ARGUMENT]) {
      expect(ulps(detSin(x), Math.sin(x))).toBeLessThanOrEqual(1)
    }
    expect(() => detSin(MAX_SIN_ARGUMENT * 2)).toThrow(RangeError)
  })

  it('should give NaN for NaN and infinities', () => {
    for (const x of [NaN, Infinity, -Infinity]) expect(detSin(x)).toBeNaN()
  })

  // Equal to the correctly rounded values (checked against glibc's sin and acos).
  it('should reproduce pinned bit patterns', () => {
    expect([0.5, 1, 2, 3, 3.1].map((x) => hexBits(detSin(x)))).toEqual([
      '3fdeaee8744b05f0',
      '3feaed548f090cee',
      '3fed18f6ead1b446',
      '3fc210386db6d55b',
      '3fa54a0f8298102e',
    ])
  })
})

describe('detAcos', () => {
  it('should stay within 1 ulp of Math.acos on [-1, 1]', () => {
    const rng = new Xoshiro128(11)
    let worst = 0
    for (let i = 0; i < 100_000; i++) {
      const u = rng.nextFloat()
      // uniform, then crowded against ±1 and 0 where the branches meet
      const x = i % 3 === 0 ? 2 * u - 1 : i % 3 === 1 ? 1 - u * 2 ** -(i % 50) : u * 2 ** -(i % 60)
      worst = Math.max(worst, ulps(detAcos(x), Math.acos(x)), ulps(detAcos(-x), Math.acos(-x)))
    }
    expect(worst).toBeLessThanOrEqual(1)
  })

  it('should be exact at the ends and give NaN outside [-1, 1]', () => {
    expect(detAcos(1)).toBe(0)
    expect(detAcos(-1)).toBe(Math.PI)
    expect(detAcos(0)).toBe(Math.PI / 2)
    expect(detAcos(0.5)).toBe(Math.acos(0.5))
    for (const x of [1.0000000000000002, -2, NaN, Infinity]) expect(detAcos(x)).toBeNaN()
  })

  // Equal to the correctly rounded values (checked against glibc's sin and acos).
  it('should reproduce pinned bit patterns', () => {
    expect([-0.9, -0.3, 0.1, 0.7, 0.99].map((x) => hexBits(detAcos(x)))).toEqual([
      '400586476251e745',
      '3ffe0200bbc96ad8',
      '3ff787b22ce3f590',
      '3fe973e83f5d5c9b',
      '3fc21df72882bfd8',
    ])
  })
})
