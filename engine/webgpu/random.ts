/**
 * @module engine/webgpu/random
 * The fused WebGPU step's random numbers, drawn on the device with no state and no upload: a
 * counter-based generator and a keyed permutation, as WGSL, with a TypeScript twin of each that
 * the tests hold the shaders to.
 *
 * - Philox-4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011):
 *   `philox(counter: 4 × u32, key: 2 × u32) → 4 × u32`, 10 rounds of two 32 × 32 → 64-bit
 *   multiplies (M0 0xD2511F53, M1 0xCD9E8D57; Weyl key bumps W0 0x9E3779B9, W1 0xBB67AE85). WGSL
 *   has no 64-bit integers, so the high half of a product is assembled from 16-bit halves. Every
 *   draw is a pure function of `(seed, stream, step, k, index)`: key `(seed, stream)`, counter
 *   `(index, step, k, 0)`; the known-answer vectors of Random123 pin it (test/engine/webgpu).
 * - Normals: Box–Muller on one Philox block, four normals per block. u1 = (top 24 bits + ½)·2⁻²⁴
 *   in (0, 1) (never 0, so the log is finite; |z| ≤ 5.9), u2 = top 24 bits · 2⁻²⁴;
 *   z = sqrt(−2 ln u1)·(cos, sin)(2π u2 − π), the angle kept in [−π, π] where WGSL bounds the
 *   error of cos and sin (2⁻¹¹ absolute). `log`, `cos`, `sin` are the adapter's: the same seed
 *   gives the same run on one adapter, not bit-identical numbers across adapters.
 * - Class labels: `((x >> 16) · classes) >> 16`, uniform up to a bias below classes / 2¹⁶.
 * - Batches without replacement: epoch e's order is a pseudo-random permutation of [0, N) — a
 *   balanced Feistel network over the smallest even bit width 2h ≥ log2 N (at least 2), with
 *   cycle-walking (re-apply until the value lands below N, which terminates: the walk follows
 *   x's cycle, and x < N is on it). Round i: `L, R ← R, L ^ (lowbias32(R ^ key_i) & mask)`, six
 *   rounds keyed by two Philox blocks of `(seed, BATCH stream, epoch)`. Batch j of epoch e takes
 *   positions `j·B .. j·B + B − 1` of the permutation; a partial last batch is dropped, as
 *   trainer/run/data.ts's sampler does. No storage, no upload, any epoch on demand.
 */

/** Stream ids: the Philox key's second word, one per kind of draw. */
export const STREAM = {
  dNoise: 2,
  gNoise: 3,
  dLabels: 8,
  gLabels: 9,
  batch: 10,
} as const

/** Feistel rounds of the epoch permutation. */
export const FEISTEL_ROUNDS = 6

const M0 = 0xd2511f53
const M1 = 0xcd9e8d57
const W0 = 0x9e3779b9
const W1 = 0xbb67ae85

/** WGSL: `philox(ctr, key)`, `normals4`, `label`, `lowbias32`, `permute`. */
export const RANDOM_WGSL = `
fn mulhi(a : u32, b : u32) -> u32 {
  let al = a & 0xffffu; let ah = a >> 16u; let bl = b & 0xffffu; let bh = b >> 16u;
  let ll = al * bl; let lh = al * bh; let hl = ah * bl;
  let mid = (ll >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
  return ah * bh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
}
fn philox(counter : vec4u, key0 : vec2u) -> vec4u {
  var c = counter;
  var k = key0;
  for (var i = 0u; i < 10u; i = i + 1u) {
    let hi0 = mulhi(${M0}u, c.x); let lo0 = ${M0}u * c.x;
    let hi1 = mulhi(${M1}u, c.z); let lo1 = ${M1}u * c.z;
    c = vec4u(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    k = k + vec2u(${W0}u, ${W1}u);
  }
  return c;
}
fn normals4(x : vec4u) -> vec4f {
  let s = 1.0 / 16777216.0;
  let u1 = (f32(x.x >> 8u) + 0.5) * s;
  let u2 = f32(x.y >> 8u) * s;
  let u3 = (f32(x.z >> 8u) + 0.5) * s;
  let u4 = f32(x.w >> 8u) * s;
  let r1 = sqrt(-2.0 * log(u1));
  let r2 = sqrt(-2.0 * log(u3));
  let pi = 3.14159265358979324;
  let a1 = 2.0 * pi * u2 - pi;
  let a2 = 2.0 * pi * u4 - pi;
  return vec4f(r1 * cos(a1), r1 * sin(a1), r2 * cos(a2), r2 * sin(a2));
}
fn label(x : u32, classes : u32) -> u32 { return ((x >> 16u) * classes) >> 16u; }
fn lowbias32(v : u32) -> u32 {
  var x = v;
  x = x ^ (x >> 16u); x = x * 0x7feb352du;
  x = x ^ (x >> 15u); x = x * 0x846ca68bu;
  return x ^ (x >> 16u);
}
fn permute(p : u32, n : u32, half : u32, seed : u32, epoch : u32) -> u32 {
  let a = philox(vec4u(epoch, 0u, 0u, 0u), vec2u(seed, ${STREAM.batch}u));
  let b = philox(vec4u(epoch, 1u, 0u, 0u), vec2u(seed, ${STREAM.batch}u));
  var keys = array<u32, ${FEISTEL_ROUNDS}>(a.x, a.y, a.z, a.w, b.x, b.y);
  let mask = (1u << half) - 1u;
  var x = p;
  loop {
    var l = x >> half;
    var r = x & mask;
    for (var i = 0u; i < ${FEISTEL_ROUNDS}u; i = i + 1u) {
      let t = r;
      r = l ^ (lowbias32(r ^ keys[i]) & mask);
      l = t;
    }
    x = (l << half) | r;
    if (x < n) { break; }
  }
  return x;
}
`

/** The high 32 bits of the 64-bit product of two uint32s, from 16-bit halves (as the WGSL). */
function mulhi(a: number, b: number): number {
  const al = a & 0xffff
  const ah = a >>> 16
  const bl = b & 0xffff
  const bh = b >>> 16
  const ll = al * bl
  const lh = al * bh
  const hl = ah * bl
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff)
  return (ah * bh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) >>> 0
}

/**
 * Philox-4x32-10 of `counter` under `key`.
 * @example philox([0, 0, 0, 0], [0, 0]) // [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
 */
export function philox(counter: readonly number[], key: readonly number[]): number[] {
  let [c0, c1, c2, c3] = counter.map((x) => x >>> 0)
  let [k0, k1] = key.map((x) => x >>> 0)
  for (let i = 0; i < 10; i++) {
    const hi0 = mulhi(M0, c0)
    const lo0 = Math.imul(M0, c0) >>> 0
    const hi1 = mulhi(M1, c2)
    const lo1 = Math.imul(M1, c2) >>> 0
    ;[c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0]
    k0 = (k0 + W0) >>> 0
    k1 = (k1 + W1) >>> 0
  }
  return [c0, c1, c2, c3]
}

/** Four standard normals from one Philox block (float64 here; the shader computes in f32). */
export function normals4(x: readonly number[]): number[] {
  const s = 2 ** -24
  const u1 = ((x[0] >>> 8) + 0.5) * s
  const u2 = (x[1] >>> 8) * s
  const u3 = ((x[2] >>> 8) + 0.5) * s
  const u4 = (x[3] >>> 8) * s
  const r1 = Math.sqrt(-2 * Math.log(u1))
  const r2 = Math.sqrt(-2 * Math.log(u3))
  const a1 = 2 * Math.PI * u2 - Math.PI
  const a2 = 2 * Math.PI * u4 - Math.PI
  return [r1 * Math.cos(a1), r1 * Math.sin(a1), r2 * Math.cos(a2), r2 * Math.sin(a2)]
}

/** A class label in [0, classes) from one uint32. */
export function drawLabel(x: number, classes: number): number {
  return (((x >>> 16) * classes) >>> 16) >>> 0
}

function lowbias32(v: number): number {
  let x = v >>> 0
  x ^= x >>> 16
  x = Math.imul(x, 0x7feb352d)
  x ^= x >>> 15
  x = Math.imul(x, 0x846ca68b)
  return (x ^ (x >>> 16)) >>> 0
}

/** Half the Feistel width for a domain of `n` values: the smallest h with 2^(2h) ≥ n, h ≥ 1. */
export function feistelHalf(n: number): number {
  let half = 1
  while (2 ** (2 * half) < n) half++
  return half
}

/** Position `p` of epoch `epoch`'s permutation of [0, n) (as the shader's `permute`). */
export function permute(p: number, n: number, seed: number, epoch: number): number {
  const half = feistelHalf(n)
  const keys = [
    ...philox([epoch, 0, 0, 0], [seed, STREAM.batch]),
    ...philox([epoch, 1, 0, 0], [seed, STREAM.batch]),
  ]
  const mask = 2 ** half - 1
  let x = p
  do {
    let l = x >>> half
    let r = x & mask
    for (let i = 0; i < FEISTEL_ROUNDS; i++) {
      const t = r
      r = (l ^ (lowbias32(r ^ keys[i]) & mask)) >>> 0
      l = t
    }
    x = ((l << half) | r) >>> 0
  } while (x >= n)
  return x
}
