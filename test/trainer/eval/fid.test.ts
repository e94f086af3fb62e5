/** @module test/trainer/eval/fid */
import { describe, expect, it } from 'vitest'
import { Xoshiro128 } from '../../../shared/latent/rng'
import {
  FidError,
  frechetDistance,
  gaussianStats,
  sqrtPsd,
  symmetricEigen,
  traceSqrtProduct,
  type GaussianStats,
} from '../../../trainer/eval/fid'

/** Standard normals from the shared PRNG (Box–Muller; Math.log is fine in a test). */
function normals(rng: Xoshiro128, count: number): Float64Array {
  const out = new Float64Array(count)
  for (let i = 0; i < count; i += 2) {
    const u = 1 - rng.nextFloat()
    const v = rng.nextFloat()
    const r = Math.sqrt(-2 * Math.log(u))
    out[i] = r * Math.cos(2 * Math.PI * v)
    if (i + 1 < count) out[i + 1] = r * Math.sin(2 * Math.PI * v)
  }
  return out
}

function matMul(a: ArrayLike<number>, b: ArrayLike<number>, n: number): Float64Array {
  const c = new Float64Array(n * n)
  for (let i = 0; i < n; i++)
    for (let k = 0; k < n; k++)
      for (let j = 0; j < n; j++) c[i * n + j] += a[i * n + k] * b[k * n + j]
  return c
}

/** A random symmetric PSD matrix B·Bᵀ of size n (rank ≤ rank). */
function randomPsd(seed: number, n: number, rank = n): Float64Array {
  const b = normals(new Xoshiro128(seed), n * rank)
  const out = new Float64Array(n * n)
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++)
      for (let k = 0; k < rank; k++) out[i * n + j] += b[i * rank + k] * b[j * rank + k]
  return out
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}

function stats(mean: number[], cov: number[]): GaussianStats {
  return {
    dim: mean.length,
    count: 1000,
    mean: Float64Array.from(mean),
    cov: Float64Array.from(cov),
  }
}

describe('gaussianStats', () => {
  it('should give the mean and the unbiased covariance', () => {
    // Rows (1, 2), (3, 6), (5, 4): mean (3, 4); centered (-2,-2), (0,2), (2,0).
    const s = gaussianStats([1, 2, 3, 6, 5, 4], 3, 2)
    expect([...s.mean]).toEqual([3, 4])
    expect([...s.cov]).toEqual([4, 2, 2, 4])
  })

  it('should reject fewer than two rows and mismatched sizes', () => {
    expect(() => gaussianStats([1, 2], 1, 2)).toThrow(FidError)
    expect(() => gaussianStats([1, 2, 3], 2, 2)).toThrow(/Expected 2×2 = 4 values, but got 3/)
  })
})

describe('symmetricEigen', () => {
  it('should reconstruct a random symmetric matrix with orthonormal eigenvectors', () => {
    const n = 24
    const a = randomPsd(1, n)
    for (let i = 0; i < n; i++) a[i * n + i] -= 10 // indefinite too
    const { values, vectors } = symmetricEigen(a, n)
    const vd = new Float64Array(n * n)
    const vt = new Float64Array(n * n)
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        vd[i * n + j] = vectors[i * n + j] * values[j]
        vt[i * n + j] = vectors[j * n + i]
      }
    }
    expect(maxAbsDiff(matMul(vd, vt, n), a)).toBeLessThan(1e-9)
    const identity = Float64Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? 1 : 0))
    expect(maxAbsDiff(matMul(vt, vectors, n), identity)).toBeLessThan(1e-12)
  })
})

describe('sqrtPsd', () => {
  it('should square back to the matrix, also when it is singular', () => {
    for (const [seed, rank] of [
      [2, 16],
      [3, 5],
    ]) {
      const a = randomPsd(seed, 16, rank)
      const r = sqrtPsd(a, 16)
      expect(maxAbsDiff(matMul(r, r, 16), a)).toBeLessThan(1e-8)
    }
  })

  it('should take the square root of a diagonal matrix element-wise', () => {
    expect([...sqrtPsd([4, 0, 0, 9], 2)]).toEqual([2, 0, 0, 3])
  })

  it('should decompose 128×128 covariances quickly', () => {
    const a = randomPsd(4, 128, 128)
    const t = performance.now()
    const r = sqrtPsd(a, 128)
    expect(performance.now() - t).toBeLessThan(5000)
    expect(maxAbsDiff(matMul(r, r, 128), a) / 128).toBeLessThan(1e-8)
  })
})

describe('frechetDistance', () => {
  it('should be 0 for identical sets', () => {
    const features = Float64Array.from(
      normals(new Xoshiro128(5), 500 * 16),
      (x, i) => x * (1 + (i % 16)),
    )
    const s = gaussianStats(features, 500, 16)
    expect(frechetDistance(s, s)).toBeLessThan(1e-8)
  })

  it('should match the closed form for diagonal covariances', () => {
    // d² = ‖μ₁ − μ₂‖² + Σ (√a − √b)²
    const d = frechetDistance(
      stats([0, 1, 2], [4, 0, 0, 0, 1, 0, 0, 0, 9]),
      stats([1, 1, 0], [1, 0, 0, 0, 1, 0, 0, 0, 16]),
    )
    expect(d).toBeCloseTo(1 + 4 + (2 - 1) ** 2 + 0 + (3 - 4) ** 2, 10)
  })

  it('should match the 2×2 closed form when the covariances do not commute', () => {
    // For 2×2 M with real non-negative eigenvalues: Tr √M = √(Tr M + 2√det M).
    const s1 = [2, 1, 1, 3]
    const s2 = [1, -0.5, -0.5, 2]
    const m = matMul(s1, s2, 2)
    const expected = Math.sqrt(m[0] + m[3] + 2 * Math.sqrt(5 * 1.75))
    expect(traceSqrtProduct(Float64Array.from(s1), Float64Array.from(s2), 2)).toBeCloseTo(
      expected,
      12,
    )
    const d = frechetDistance(stats([1, 2], s1), stats([0, 0], s2))
    expect(d).toBeCloseTo(5 + 5 + 3 - 2 * expected, 12)
  })

  it('should recover the distance between two Gaussians from samples', () => {
    const n = 20000
    const dim = 4
    const rng = new Xoshiro128(6)
    // x ~ N(0, I), y ~ N((1,0,0,0), diag(4,1,1,1)): d² = 1 + (2 − 1)² = 2
    const x = normals(rng, n * dim)
    const y = Float64Array.from(normals(rng, n * dim), (v, i) => (i % dim === 0 ? 2 * v + 1 : v))
    const d = frechetDistance(gaussianStats(x, n, dim), gaussianStats(y, n, dim))
    expect(d).toBeGreaterThan(1.85)
    expect(d).toBeLessThan(2.15)
  })

  it('should reject stats of different sizes', () => {
    expect(() => frechetDistance(stats([0], [1]), stats([0, 0], [1, 0, 0, 1]))).toThrow(
      /equal feature sizes/,
    )
  })
})
