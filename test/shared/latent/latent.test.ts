import { sha256Hex } from '../../../shared/codec/sha256'
import { describe, expect, it } from 'vitest'
import { sampleLatent, sampleLatents } from '../../../shared/latent/latent'

/** Little-endian float32 bytes, independent of the host's byte order. */
function leBytes(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * 4)
  const view = new DataView(out.buffer)
  values.forEach((v, i) => view.setFloat32(i * 4, v, true))
  return out
}

describe('sampleLatent', () => {
  // Golden values, computed once and pinned: the served image for a seed depends on these bits.
  it('should reproduce the golden latent for seed 42', () => {
    const z = sampleLatent(42, 100)
    expect(z).toBeInstanceOf(Float32Array)
    expect(z.length).toBe(100)
    expect(Array.from(z.slice(0, 8))).toEqual([
      -0.17089146375656128, 0.17299459874629974, 0.0939946174621582, 1.0277899503707886,
      1.6812896728515625, -0.44098636507987976, 0.3134205639362335, 1.3199609518051147,
    ])
    expect(sha256Hex(leBytes(z))).toBe(
      '0ad562cc48bb031057f4dcdaba40aa19beee8248972241c87ad9d58ee411bced',
    )
  })

  it('should reproduce the golden latent for seed 0 and seed 2^32 - 1', () => {
    expect(Array.from(sampleLatent(0, 7))).toEqual([
      -0.02787032537162304, -0.16388660669326782, 0.19642984867095947, 0.8937523365020752,
      -0.5482765436172485, -0.7596691846847534, -2.409395933151245,
    ])
    expect(Array.from(sampleLatent(4294967295, 4))).toEqual([
      0.5571492314338684, -0.09157925099134445, -1.6459739208221436, 0.46314993500709534,
    ])
  })

  it('should make a shorter latent a prefix of a longer one for the same seed', () => {
    const long = sampleLatent(5, 101)
    expect(Array.from(sampleLatent(5, 33))).toEqual(Array.from(long.slice(0, 33)))
  })

  it('should be roughly standard normal over many seeds', () => {
    const zs = sampleLatents(0, 1000, 100)
    let sum = 0
    let sq = 0
    for (const v of zs) {
      sum += v
      sq += v * v
    }
    expect(Math.abs(sum / zs.length)).toBeLessThan(0.02)
    expect(Math.abs(sq / zs.length - 1)).toBeLessThan(0.03)
  })

  it('should reject invalid seeds with a RangeError that names the seed', () => {
    for (const bad of [-1, 0.5, 2 ** 32, NaN, Infinity]) {
      expect(() => sampleLatent(bad, 100)).toThrow(RangeError)
    }
    expect(() => sampleLatent(-3, 100)).toThrow(
      /Expected seed to be an integer in \[0, 4294967295\]/,
    )
    expect(() => sampleLatent(NaN, 100)).toThrow(/but got NaN\./)
  })

  it('should reject invalid dims with a RangeError', () => {
    for (const bad of [0, -1, 1.5, NaN]) expect(() => sampleLatent(1, bad)).toThrow(RangeError)
  })
})

describe('sampleLatents', () => {
  it('should concatenate the latents of consecutive seeds', () => {
    const zs = sampleLatents(41, 3, 100)
    expect(zs.length).toBe(300)
    for (let i = 0; i < 3; i++) {
      expect(Array.from(zs.slice(i * 100, (i + 1) * 100))).toEqual(
        Array.from(sampleLatent(41 + i, 100)),
      )
    }
  })

  it('should wrap seeds modulo 2^32', () => {
    const zs = sampleLatents(4294967295, 2, 10)
    expect(Array.from(zs.slice(10))).toEqual(Array.from(sampleLatent(0, 10)))
  })

  it('should pin the bytes of a 64-seed batch', () => {
    expect(sha256Hex(leBytes(sampleLatents(0, 64, 100)))).toBe(
      '93413eb7c40921a878d38f29fc436e6a868f386e03a7fb8ce546d0733c6c606a',
    )
  })

  it('should accept n = 0 and reject negative or fractional n', () => {
    expect(sampleLatents(0, 0, 100).length).toBe(0)
    expect(() => sampleLatents(0, -1, 100)).toThrow(RangeError)
    expect(() => sampleLatents(0, 1.5, 100)).toThrow(RangeError)
    expect(() => sampleLatents(-1, 1, 100)).toThrow(/Expected seedStart/)
  })
})
