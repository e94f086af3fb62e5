/**
 * @module trainer/eval/fid
 * Fréchet distance between two sets of feature vectors, each summarized as a Gaussian
 * (mean, covariance):
 *
 *   d² = ‖μ₁ − μ₂‖² + Tr(Σ₁) + Tr(Σ₂) − 2·Tr((Σ₁Σ₂)^½)
 *
 * `Σ₁Σ₂` is not symmetric, so its square root is taken through the symmetric PSD matrix
 * `M = Σ₁^½ Σ₂ Σ₁^½`, which has the same eigenvalues: `Tr((Σ₁Σ₂)^½) = Σᵢ √λᵢ(M)`. Both
 * `Σ₁^½` and the eigenvalues of `M` come from a cyclic Jacobi eigendecomposition in f64.
 *
 * Why Jacobi and no library: for the 128-dimensional classifier features it takes ~0.1 s, it is
 * unconditionally stable for symmetric matrices (small eigenvalues come out accurate, which the
 * trace of a square root is sensitive to), and it is ~50 lines without a dependency to audit.
 */

/** A Gaussian fitted to `count` feature vectors of length `dim`. `cov` is `[dim, dim]` row-major. */
export interface GaussianStats {
  dim: number
  count: number
  mean: Float64Array
  cov: Float64Array
}

/** Inputs that cannot be summarized or compared. */
export class FidError extends Error {
  override name = 'FidError'
}

/**
 * Mean and unbiased covariance (divides by `count − 1`, like `numpy.cov`) of `count` row vectors,
 * accumulated in f64 around the mean (two passes) so large offsets do not cancel.
 * @example const s = gaussianStats(features, 10000, 128)
 */
export function gaussianStats(
  features: ArrayLike<number>,
  count: number,
  dim: number,
): GaussianStats {
  if (!Number.isInteger(count) || count < 2) {
    throw new FidError(`Expected at least 2 feature vectors, but got ${count}.`)
  }
  if (features.length !== count * dim) {
    throw new FidError(
      `Expected ${count}×${dim} = ${count * dim} values, but got ${features.length}.`,
    )
  }
  const mean = new Float64Array(dim)
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < dim; j++) mean[j] += features[i * dim + j]
  }
  for (let j = 0; j < dim; j++) mean[j] /= count
  const cov = new Float64Array(dim * dim)
  const centered = new Float64Array(dim)
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < dim; j++) centered[j] = features[i * dim + j] - mean[j]
    // Upper triangle only; mirrored below.
    for (let a = 0; a < dim; a++) {
      const ca = centered[a]
      if (ca === 0) continue
      const row = a * dim
      for (let b = a; b < dim; b++) cov[row + b] += ca * centered[b]
    }
  }
  for (let a = 0; a < dim; a++) {
    for (let b = a; b < dim; b++) {
      const v = cov[a * dim + b] / (count - 1)
      cov[a * dim + b] = v
      cov[b * dim + a] = v
    }
  }
  return { dim, count, mean, cov }
}

/**
 * Eigendecomposition `A = V·diag(values)·Vᵀ` of a symmetric `[n, n]` matrix by cyclic Jacobi
 * rotations. `vectors` holds the eigenvectors as columns (row-major `[n, n]`). A is not modified.
 */
export function symmetricEigen(
  a: ArrayLike<number>,
  n: number,
): { values: Float64Array; vectors: Float64Array } {
  if (a.length !== n * n)
    throw new FidError(`Expected a ${n}×${n} matrix, but got ${a.length} values.`)
  const m = Float64Array.from(a)
  const v = new Float64Array(n * n)
  for (let i = 0; i < n; i++) v[i * n + i] = 1
  let total = 0
  for (let i = 0; i < n * n; i++) total += m[i] * m[i]
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q] * m[p * n + q]
    // Off-diagonal mass negligible against the whole matrix: the diagonal is exact to f64 rounding.
    if (off <= 1e-30 * total || off === 0) break
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q]
        if (apq === 0) continue
        const theta = (m[q * n + q] - m[p * n + p]) / (2 * apq)
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1))
        const c = 1 / Math.sqrt(t * t + 1)
        const s = t * c
        // A ← Pᵀ A P with P the rotation in the (p, q) plane: columns, then rows.
        for (let k = 0; k < n; k++) {
          const kp = m[k * n + p]
          const kq = m[k * n + q]
          m[k * n + p] = c * kp - s * kq
          m[k * n + q] = s * kp + c * kq
        }
        for (let k = 0; k < n; k++) {
          const pk = m[p * n + k]
          const qk = m[q * n + k]
          m[p * n + k] = c * pk - s * qk
          m[q * n + k] = s * pk + c * qk
        }
        for (let k = 0; k < n; k++) {
          const kp = v[k * n + p]
          const kq = v[k * n + q]
          v[k * n + p] = c * kp - s * kq
          v[k * n + q] = s * kp + c * kq
        }
      }
    }
  }
  const values = new Float64Array(n)
  for (let i = 0; i < n; i++) values[i] = m[i * n + i]
  return { values, vectors: v }
}

/**
 * The principal square root of a symmetric positive semi-definite matrix. Eigenvalues that come
 * out slightly negative from rounding are clamped to 0.
 * @example sqrtPsd([4, 0, 0, 9], 2) // [2, 0, 0, 3]
 */
export function sqrtPsd(a: ArrayLike<number>, n: number): Float64Array {
  const { values, vectors } = symmetricEigen(a, n)
  const roots = values.map((x) => Math.sqrt(Math.max(x, 0)))
  const out = new Float64Array(n * n)
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let sum = 0
      for (let k = 0; k < n; k++) sum += vectors[i * n + k] * roots[k] * vectors[j * n + k]
      out[i * n + j] = sum
      out[j * n + i] = sum
    }
  }
  return out
}

/** `C = A·B` for `[n, n]` row-major matrices. */
function matMul(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const c = new Float64Array(n * n)
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k]
      if (aik === 0) continue
      for (let j = 0; j < n; j++) c[i * n + j] += aik * b[k * n + j]
    }
  }
  return c
}

/** `Tr((Σ₁Σ₂)^½)` for symmetric PSD Σ₁, Σ₂, via the eigenvalues of `Σ₁^½ Σ₂ Σ₁^½`. */
export function traceSqrtProduct(s1: Float64Array, s2: Float64Array, n: number): number {
  const r = sqrtPsd(s1, n)
  const m = matMul(matMul(r, s2, n), r, n)
  // Symmetrize away rounding so Jacobi sees an exactly symmetric matrix.
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const avg = (m[i * n + j] + m[j * n + i]) / 2
      m[i * n + j] = avg
      m[j * n + i] = avg
    }
  }
  let trace = 0
  for (const x of symmetricEigen(m, n).values) trace += Math.sqrt(Math.max(x, 0))
  return trace
}

/**
 * Fréchet distance between two Gaussians (FID when the features come from a classifier).
 * Never negative: rounding below zero is clamped.
 * @example frechetDistance(gaussianStats(gen, n, 128), gaussianStats(real, m, 128))
 */
export function frechetDistance(a: GaussianStats, b: GaussianStats): number {
  if (a.dim !== b.dim)
    throw new FidError(`Expected equal feature sizes, but got ${a.dim} and ${b.dim}.`)
  const n = a.dim
  let meanTerm = 0
  let traces = 0
  for (let i = 0; i < n; i++) {
    meanTerm += (a.mean[i] - b.mean[i]) ** 2
    traces += a.cov[i * n + i] + b.cov[i * n + i]
  }
  return Math.max(0, meanTerm + traces - 2 * traceSqrtProduct(a.cov, b.cov, n))
}
