/**
 * @module shared/render/interpolate
 * Walks through latent space: spherical interpolation between two seeds' latents (the worker's
 * `/interpolate` and the demo page's slider) and steps along fixed random directions (the page's
 * direction sliders). Runtime-free and deterministic like the rest of `shared/`: sums run in a
 * fixed order in float64, angles use `shared/math/dettrig`, results are rounded to float32 once, so the
 * browser and the worker compute the same latent — and the same pixels — for the same state.
 *
 * Slerp (White 2016, "Sampling Generative Networks"): with ω the angle between `a` and `b`,
 * `slerp(a, b, t) = sin((1 − t)·ω)/sin ω · a + sin(t·ω)/sin ω · b`. It keeps the norm of Gaussian
 * latents (≈ √dim) along the path, where a straight line would pass through low-norm latents the
 * generator never saw in training. `t = 0` and `t = 1` return `a` and `b` bit for bit.
 *
 * A conditional generator keeps one class along the whole walk: the caller's `label`, by default
 * the one the start seed picks (`seedLabel(from)`, shared/latent/condition), so the walk moves the style
 * while the digit stays.
 */
import { seedLabel } from '../latent/condition'
import { detAcos, detSin } from '../math/dettrig'
import type { Generator } from '../inference/forward'
import { encodeApng } from '../codec/apng'
import { sampleLatent } from '../latent/latent'
import { assertScale, imageSide, tilesPng } from './render'

/** Below this sin ω the two latents are (anti)parallel and slerp falls back to a straight line. */
const MIN_SIN_OMEGA = 1e-7
/** Guard against typos; the worker allows 2..32 steps, the page's slider 101 positions. */
const MAX_STEPS = 1024
/** Base seed of the direction vectors: direction k is the normalized latent of seed BASE + k. */
export const DIRECTION_SEED = 0xd12ec700
/** How long an APNG shows an inner frame, and the two seeds' own images, in milliseconds. */
export const FRAME_MS = 100
export const HOLD_MS = 700

/**
 * Spherical interpolation from `a` (t = 0) to `b` (t = 1), rounded to float32.
 *
 * @throws RangeError if the lengths differ or `t` is not in [0, 1].
 * @example
 * const z = slerp(sampleLatent(1, 100), sampleLatent(2, 100), 0.5) // halfway along the arc
 */
export function slerp(a: Float32Array, b: Float32Array, t: number): Float32Array {
  if (a.length !== b.length) {
    throw new RangeError(`Expected latents of equal length, but got ${a.length} and ${b.length}.`)
  }
  if (!(t >= 0 && t <= 1)) throw new RangeError(`Expected t in [0, 1], but got ${t}.`)
  if (t === 0) return Float32Array.from(a)
  if (t === 1) return Float32Array.from(b)
  let dot = 0
  let aa = 0
  let bb = 0
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i]
    aa += a[i] * a[i]
    bb += b[i] * b[i]
  }
  const cos = Math.min(1, Math.max(-1, dot / (Math.sqrt(aa) * Math.sqrt(bb))))
  const omega = detAcos(cos) // NaN when a or b is all zeros: handled as a line below
  const sinOmega = detSin(omega)
  let ca = 1 - t
  let cb = t
  if (sinOmega >= MIN_SIN_OMEGA) {
    ca = detSin((1 - t) * omega) / sinOmega
    cb = detSin(t * omega) / sinOmega
  }
  const out = new Float32Array(a.length)
  for (let i = 0; i < a.length; i++) out[i] = ca * a[i] + cb * b[i]
  return out
}

/**
 * The `steps` latents from seed `from` to seed `to` at `t = i / (steps − 1)`: the first and last
 * are `sampleLatent(from)` and `sampleLatent(to)` exactly.
 *
 * @throws RangeError for a bad seed or dim, or `steps` not an integer in 2..1024.
 * @example
 * const zs = interpolateLatents(42, 7, 8, 100) // 8 latents, zs[0] = sampleLatent(42, 100)
 */
export function interpolateLatents(
  from: number,
  to: number,
  steps: number,
  dim: number,
): Float32Array[] {
  assertSteps(steps)
  const a = sampleLatent(from, dim)
  const b = sampleLatent(to, dim)
  return Array.from({ length: steps }, (_, i) => slerp(a, b, i / (steps - 1)))
}

/**
 * Unit direction `index` in latent space: the normalized latent of seed `DIRECTION_SEED + index`,
 * so every page and every runtime slides along the same directions.
 *
 * @throws RangeError for an index that is not an integer in 0..255, or a bad dim.
 * @example
 * const d0 = latentDirection(0, 100) // Float32Array(100), norm 1 (to float32 rounding)
 */
export function latentDirection(index: number, dim: number): Float32Array {
  if (!Number.isInteger(index) || index < 0 || index > 255) {
    throw new RangeError(`Expected a direction index in 0..255, but got ${index}.`)
  }
  const z = sampleLatent(DIRECTION_SEED + index, dim)
  let norm = 0
  for (let i = 0; i < dim; i++) norm += z[i] * z[i]
  norm = Math.sqrt(norm)
  return z.map((v) => v / norm)
}

/**
 * `z + Σ amounts[k] · directions[k]`, summed per coordinate in `k` order in float64, then rounded
 * to float32. All-zero amounts return `z` bit for bit.
 *
 * @throws RangeError if the counts or lengths do not match or an amount is not finite.
 * @example
 * const moved = moveAlong(z, [latentDirection(0, 100)], [1.5])
 */
export function moveAlong(
  z: Float32Array,
  directions: readonly Float32Array[],
  amounts: readonly number[],
): Float32Array {
  if (directions.length !== amounts.length) {
    throw new RangeError(
      `Expected one amount per direction (${directions.length}), but got ${amounts.length}.`,
    )
  }
  for (const [k, d] of directions.entries()) {
    if (d.length !== z.length) {
      throw new RangeError(`Expected direction ${k} of length ${z.length}, but got ${d.length}.`)
    }
    if (!Number.isFinite(amounts[k])) {
      throw new RangeError(`Expected finite amounts, but got ${amounts[k]} for direction ${k}.`)
    }
  }
  const out = new Float32Array(z.length)
  for (let i = 0; i < z.length; i++) {
    let v = z[i]
    for (let k = 0; k < directions.length; k++) v += amounts[k] * directions[k][i]
    out[i] = v
  }
  return out
}

/**
 * The 8-bit grey images along the interpolation from `from` to `to`, `steps` of them; the first and
 * last equal `renderDigit(generator, from, label)` and `renderDigit(generator, to, label)`. On a
 * conditional generator every image is class `label`, by default `seedLabel(from)`.
 * @throws RangeError for a bad seed or steps, or a label the generator does not take.
 * @example const tiles = renderInterpolation(generator, 42, 7, 8) // 8 × Uint8Array(784)
 */
export function renderInterpolation(
  generator: Generator,
  from: number,
  to: number,
  steps: number,
  label?: number,
): Uint8Array[] {
  const zs = interpolateLatents(from, to, steps, generator.latentDim)
  const fixed = label ?? seedLabel(from, generator.classes)
  return zs.map((z) => generator.runGray(z, fixed))
}

/**
 * A PNG strip of the interpolation: `steps` digits in one row without padding, upscaled `scale`×,
 * all of class `label` (by default the start seed's) on a conditional generator.
 * @throws RangeError for a bad seed or label, steps outside 2..1024 or a scale outside 1..16.
 * @example const png = renderInterpolationPng(generator, 42, 7, 8, 2) // 448 × 56 px
 */
export function renderInterpolationPng(
  generator: Generator,
  from: number,
  to: number,
  steps: number,
  scale = 1,
  label?: number,
): Uint8Array<ArrayBuffer> {
  const side = imageSide(generator)
  return tilesPng(renderInterpolation(generator, from, to, steps, label), side, steps, scale)
}

/**
 * An animated PNG of the interpolation that loops forever: `steps` frames of `FRAME_MS` each, the
 * two seeds' own images held for `HOLD_MS` so the loop reads as "from → to, jump back". One class,
 * `label` (by default the start seed's), on a conditional generator.
 * @throws RangeError for a bad seed or label, steps outside 2..1024 or a scale outside 1..16.
 * @example const apng = renderInterpolationApng(generator, 42, 7, 16, 4) // 112 × 112, 16 frames
 */
export function renderInterpolationApng(
  generator: Generator,
  from: number,
  to: number,
  steps: number,
  scale = 1,
  label?: number,
): Uint8Array<ArrayBuffer> {
  const side = imageSide(generator)
  assertScale(scale)
  const frames = renderInterpolation(generator, from, to, steps, label)
  const delayMs = frames.map((_, i) => (i === 0 || i === steps - 1 ? HOLD_MS : FRAME_MS))
  return encodeApng(frames, side, side, 1, { delayMs, scale })
}

function assertSteps(steps: number): void {
  if (!Number.isInteger(steps) || steps < 2 || steps > MAX_STEPS) {
    throw new RangeError(`Expected steps to be an integer in 2..${MAX_STEPS}, but got ${steps}.`)
  }
}
