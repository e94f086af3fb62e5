/**
 * @module test/shared/render/interpolate
 * Latent walks: slerp keeps its endpoints bit for bit and follows the great circle, directions are
 * fixed unit vectors, and the rendered strip and animation hold exactly the `/generate` digits of
 * both seeds at their ends.
 */
import { sha256Hex } from '../../../shared/codec/sha256'
import { describe, expect, it } from 'vitest'
import { createGenerator } from '../../../shared/inference/forward'
import {
  FRAME_MS,
  HOLD_MS,
  interpolateLatents,
  latentDirection,
  moveAlong,
  renderInterpolation,
  renderInterpolationApng,
  renderInterpolationPng,
  slerp,
} from '../../../shared/render/interpolate'
import { sampleLatent } from '../../../shared/latent/latent'
import { renderDigit } from '../../../shared/render/render'
import { decodeWeights } from '../../../shared/model/weights'
import { buildFixtureModel } from '../../edge/fixture-model'
import { decodeApng, decodePng } from '../../edge/png-decode'

const norm = (z: Float32Array) => Math.sqrt(z.reduce((s, v) => s + v * v, 0))
const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i], 0)
const angle = (a: Float32Array, b: Float32Array) => Math.acos(dot(a, b) / (norm(a) * norm(b)))

describe('slerp', () => {
  const a = sampleLatent(1, 100)
  const b = sampleLatent(2, 100)

  it('should return the endpoints bit for bit at t = 0 and t = 1', () => {
    expect(slerp(a, b, 0)).toEqual(a)
    expect(slerp(a, b, 1)).toEqual(b)
    expect(slerp(a, b, 0)).not.toBe(a) // a copy, never the caller's array
  })

  it('should move unit vectors along the great circle at constant angular speed', () => {
    const ua = a.map((v) => v / norm(a))
    const ub = b.map((v) => v / norm(b))
    const omega = angle(ua, ub)
    for (const t of [0.1, 0.25, 0.5, 0.9]) {
      const z = slerp(ua, ub, t)
      expect(norm(z)).toBeCloseTo(1, 6)
      expect(angle(ua, z)).toBeCloseTo(t * omega, 5)
      expect(angle(z, ub)).toBeCloseTo((1 - t) * omega, 5)
    }
  })

  it('should keep Gaussian latents near their norm, where a straight line dips', () => {
    const mid = slerp(a, b, 0.5)
    const line = a.map((v, i) => (v + b[i]) / 2)
    expect(norm(mid)).toBeGreaterThan(0.95 * Math.min(norm(a), norm(b)))
    expect(norm(line)).toBeLessThan(0.8 * Math.min(norm(a), norm(b)))
  })

  it('should be symmetric: slerp(a, b, t) = slerp(b, a, 1 − t) to float32 rounding', () => {
    const x = slerp(a, b, 0.25)
    const y = slerp(b, a, 0.75)
    x.forEach((v, i) => expect(v).toBeCloseTo(y[i], 5))
  })

  it('should fall back to a straight line for parallel or zero latents', () => {
    expect(slerp(a, a, 0.5)).toEqual(a)
    const zero = new Float32Array(100)
    expect(slerp(zero, b, 0.5)).toEqual(b.map((v) => v * 0.5))
  })

  it('should pin the bits of an interpolated latent (served images depend on them)', () => {
    const z = slerp(sampleLatent(42, 100), sampleLatent(7, 100), 0.5)
    const bytes = new Uint8Array(4 * z.length) // little-endian float32, whatever the host order
    z.forEach((v, i) => new DataView(bytes.buffer).setFloat32(4 * i, v, true))
    expect(sha256Hex(bytes)).toBe(
      '36482447947d242d36f3523353746491aa574f1cd162218fc1d7e89454c23cc5',
    )
  })

  it('should reject mismatched lengths and t outside [0, 1]', () => {
    expect(() => slerp(a, b.subarray(1), 0.5)).toThrow(/equal length/)
    for (const t of [-0.1, 1.1, NaN]) expect(() => slerp(a, b, t)).toThrow(RangeError)
  })
})

describe('interpolateLatents', () => {
  it('should start and end at the seeds’ latents and space t evenly', () => {
    const zs = interpolateLatents(42, 7, 5, 100)
    expect(zs).toHaveLength(5)
    expect(zs[0]).toEqual(sampleLatent(42, 100))
    expect(zs[4]).toEqual(sampleLatent(7, 100))
    expect(zs[2]).toEqual(slerp(sampleLatent(42, 100), sampleLatent(7, 100), 0.5))
  })

  it('should reject steps outside 2..1024', () => {
    for (const steps of [1, 1025, 2.5]) {
      expect(() => interpolateLatents(1, 2, steps, 100)).toThrow(/steps/)
    }
  })
})

describe('latentDirection and moveAlong', () => {
  it('should give fixed unit directions', () => {
    const d0 = latentDirection(0, 100)
    expect(norm(d0)).toBeCloseTo(1, 6)
    expect(latentDirection(0, 100)).toEqual(d0)
    expect(latentDirection(1, 100)).not.toEqual(d0)
    expect(() => latentDirection(256, 100)).toThrow(RangeError)
  })

  it('should return z bit for bit when every amount is 0, and add amount·d otherwise', () => {
    const z = sampleLatent(3, 100)
    const dirs = [latentDirection(0, 100), latentDirection(1, 100)]
    expect(moveAlong(z, dirs, [0, 0])).toEqual(z)
    const moved = moveAlong(z, dirs, [2, -1])
    moved.forEach((v, i) => expect(v).toBeCloseTo(z[i] + 2 * dirs[0][i] - dirs[1][i], 5))
    expect(() => moveAlong(z, dirs, [1])).toThrow(/one amount per direction/)
    expect(() => moveAlong(z, dirs, [1, Infinity])).toThrow(/finite/)
  })
})

describe('rendering a walk', () => {
  const { manifest, payload } = buildFixtureModel()
  const generator = createGenerator(decodeWeights(manifest, payload))

  it('should hold the seeds’ own digits at both ends', () => {
    const tiles = renderInterpolation(generator, 42, 7, 6)
    expect(tiles[0]).toEqual(renderDigit(generator, 42))
    expect(tiles[5]).toEqual(renderDigit(generator, 7))
  })

  it('should tile the strip in one row without padding, upscaled', () => {
    const tiles = renderInterpolation(generator, 42, 7, 3)
    const png = decodePng(renderInterpolationPng(generator, 42, 7, 3, 2))
    expect(png).toMatchObject({ width: 3 * 56, height: 56, channels: 1 })
    for (let i = 0; i < 3; i++) {
      // top-left pixel of each 2×2 block of tile i
      for (let y = 0; y < 28; y++) {
        for (let x = 0; x < 28; x++) {
          expect(png.pixels[2 * y * png.width + i * 56 + 2 * x]).toBe(tiles[i][y * 28 + x])
        }
      }
    }
  })

  it('should animate the same digits in a loop, holding the ends longer', () => {
    const tiles = renderInterpolation(generator, 1, 2, 4)
    const apng = decodeApng(renderInterpolationApng(generator, 1, 2, 4))
    expect(apng).toMatchObject({ width: 28, height: 28, numFrames: 4, numPlays: 0 })
    expect(apng.frames.map((f) => f.pixels)).toEqual(tiles)
    expect(apng.frames.map((f) => f.delayMs)).toEqual([HOLD_MS, FRAME_MS, FRAME_MS, HOLD_MS])
  })
})
