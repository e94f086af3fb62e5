/**
 * @module shared/latent/latent
 * Seeded latent vectors: seed → z ∈ R^dim with z_i ~ N(0, 1), identical in every JS runtime.
 *
 * Sampler (pinned by golden tests; changing it changes every served image):
 * 1. `rng = new Xoshiro128(seed)` (xoshiro128** seeded by splitmix32, see `shared/latent/rng`).
 * 2. Marsaglia's polar method: draw `u = 2·rng.nextFloat() − 1`, then `v` likewise; reject while
 *    `s = u² + v² >= 1` or `s = 0`; with `m = sqrt(−2·detLog(s) / s)` emit `u·m`, then `v·m`.
 *    Every step is an IEEE-exact operation or `detLog` (bit-identical across engines), unlike
 *    Box–Muller, which would need `Math.cos`/`Math.sin`.
 * 3. Values fill z in order; for odd `dim` the last pair's second value is dropped. Each value is
 *    rounded to float32 (what the network consumes).
 */
import { detLog } from '../math/detmath'
import { Xoshiro128, assertUint32 } from './rng'

/** Largest latent size accepted; a guard against typos that would allocate gigabytes. */
const MAX_DIM = 1 << 20

function assertDim(dim: number): void {
  if (!Number.isInteger(dim) || dim < 1 || dim > MAX_DIM) {
    throw new RangeError(
      `Expected dim to be an integer in [1, ${MAX_DIM}], but got ${String(dim)}.`,
    )
  }
}

/** Fill `out[offset .. offset + dim)` with the latent of `seed` (seed already validated). */
function fillLatent(seed: number, dim: number, out: Float32Array, offset: number): void {
  const rng = new Xoshiro128(seed)
  let i = 0
  while (i < dim) {
    const u = 2 * rng.nextFloat() - 1
    const v = 2 * rng.nextFloat() - 1
    const s = u * u + v * v
    if (s >= 1 || s === 0) continue
    const m = Math.sqrt((-2 * detLog(s)) / s)
    out[offset + i++] = u * m
    if (i < dim) out[offset + i++] = v * m
  }
}

/**
 * The standard-normal latent vector of one seed, as float32.
 *
 * @param seed an integer in [0, 2^32 − 1]; anything else (negative, fractional, NaN, too large)
 *   throws a `RangeError`.
 * @param dim the latent size, e.g. 100.
 * @example
 * const z = sampleLatent(42, 100) // Float32Array(100), the same bits in Node, browsers and workerd
 */
export function sampleLatent(seed: number, dim: number): Float32Array {
  assertUint32(seed, 'seed')
  assertDim(dim)
  const out = new Float32Array(dim)
  fillLatent(seed, dim, out, 0)
  return out
}

/**
 * `n` latents for the consecutive seeds `seedStart, seedStart + 1, …` (mod 2^32), concatenated:
 * row `i` (`[i·dim, (i + 1)·dim)`) equals `sampleLatent((seedStart + i) mod 2^32, dim)`.
 *
 * @example
 * const zs = sampleLatents(42, 16, 100) // Float32Array(1600) for a 4×4 grid
 */
export function sampleLatents(seedStart: number, n: number, dim: number): Float32Array {
  assertUint32(seedStart, 'seedStart')
  assertDim(dim)
  if (!Number.isInteger(n) || n < 0 || n * dim > 1 << 28) {
    throw new RangeError(
      `Expected n to be an integer in [0, ${Math.floor((1 << 28) / dim)}], but got ${String(n)}.`,
    )
  }
  const out = new Float32Array(n * dim)
  for (let i = 0; i < n; i++) fillLatent((seedStart + i) % 4294967296, dim, out, i * dim)
  return out
}
