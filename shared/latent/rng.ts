/**
 * @module shared/latent/rng
 * The one pseudo-random generator of the product: xoshiro128** (Blackman & Vigna, 2018) seeded by
 * splitmix32 from a uint32 seed. It uses only 32-bit integer operations (`Math.imul`, shifts, xor),
 * which every JS engine evaluates exactly, so a seed yields the same stream in Node, browsers and
 * workerd.
 *
 * Seeding (pinned by golden tests; changing it changes every served image):
 * - splitmix32: `z = (z + 0x9E3779B9) mod 2^32`, then the mixer
 *   `t = z ^ (z >>> 16); t *= 0x21F0AAAD; t ^= t >>> 15; t *= 0x735A2D97; t ^= t >>> 15`
 *   (products mod 2^32). Starting from `z = seed`, four outputs become the state `s0..s3`.
 *   The mixer is a bijection and the four inputs differ, so at most one state word is zero and the
 *   forbidden all-zero xoshiro state cannot occur.
 * - xoshiro128** step: `out = rotl(s1 · 5, 7) · 9`, then `t = s1 << 9; s2 ^= s0; s3 ^= s1;
 *   s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11)`.
 */

/** 2^32 as a float; also the exclusive upper bound of uint32 + 1. */
const TWO_POW_32 = 4294967296

/**
 * Throw a `RangeError` unless `value` is an integer in [0, 2^32 − 1].
 *
 * @example
 * assertUint32(42, 'seed') // ok
 * assertUint32(-1, 'seed') // RangeError: Expected seed to be an integer in [0, 4294967295], …
 */
export function assertUint32(value: number, name = 'seed'): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= TWO_POW_32) {
    const shown = typeof value === 'number' ? String(value) : `${String(value)} (${typeof value})`
    throw new RangeError(`Expected ${name} to be an integer in [0, 4294967295], but got ${shown}.`)
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k))
}

/**
 * xoshiro128** seeded by splitmix32 (see the module doc for the exact recurrences).
 *
 * @example
 * const rng = new Xoshiro128(42)
 * rng.nextUint32() // same integer on every engine
 * rng.nextFloat() // in [0, 1), a multiple of 2^-32
 */
export class Xoshiro128 {
  private s0: number
  private s1: number
  private s2: number
  private s3: number

  /** @param seed an integer in [0, 2^32 − 1]; anything else throws a `RangeError`. */
  constructor(seed: number) {
    assertUint32(seed, 'seed')
    let z = seed | 0
    const next = (): number => {
      z = (z + 0x9e3779b9) | 0
      let t = z ^ (z >>> 16)
      t = Math.imul(t, 0x21f0aaad)
      t ^= t >>> 15
      t = Math.imul(t, 0x735a2d97)
      return t ^ (t >>> 15)
    }
    this.s0 = next()
    this.s1 = next()
    this.s2 = next()
    this.s3 = next()
  }

  /** The next output as an unsigned 32-bit integer. */
  nextUint32(): number {
    const s1 = this.s1
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0
    const t = s1 << 9
    this.s2 ^= this.s0
    this.s3 ^= this.s1
    this.s1 ^= this.s2
    this.s0 ^= this.s3
    this.s2 ^= t
    this.s3 = rotl(this.s3, 11)
    return result
  }

  /** A float in [0, 1) with 32 random bits: `nextUint32() / 2^32` (exact in a double). */
  nextFloat(): number {
    return this.nextUint32() / TWO_POW_32
  }
}
