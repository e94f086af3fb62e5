/**
 * @module shared/inference/gray
 * Generator output to the 8-bit grey levels the worker serves: `toGray` for values in [-1, 1],
 * and `tanhToGray`, the same levels straight from a tanh output layer's raw values, which skips
 * the tanh where it cannot matter.
 *
 * Why: the tanh (`detTanh`, fdlibm in plain arithmetic, for bit-identical results everywhere) was
 * the costliest step of a forward pass after the dense layers, and on MNIST about three quarters
 * of the pixels are saturated background or stroke, where the grey level is 0 or 255 whatever
 * the exact tanh. `tanhToGray(a)` equals `toGray(fround(detTanh(a)))` bit for bit: beyond
 * ±`TANH_SATURATED` the level is 0 or 255, which test/shared/inference/gray.test.ts checks for every float32
 * from ±3.2 to ±22 (past ±22 `detTanh` returns ±1 itself).
 */
import { detTanh } from '../math/detmath'

/** `|a|` from which every float32 `a` maps to grey level 0 (negative) or 255 (positive). */
export const TANH_SATURATED = 3.2

/**
 * One value in [-1, 1] as an 8-bit grey level: `round((x + 1)·127.5)` clamped to 0..255
 * (NaN → 0).
 */
export function grayLevel(x: number): number {
  const v = Math.round((x + 1) * 127.5)
  return v >= 255 ? 255 : v > 0 ? v : 0
}

/**
 * Image values in [-1, 1] to 8-bit grey: `round((x + 1)·127.5)` clamped to 0..255 (NaN → 0).
 *
 * @example
 * toGray(new Float32Array([-1, 0, 1])) // Uint8Array [0, 128, 255]
 */
export function toGray(x: Float32Array): Uint8Array {
  const out = new Uint8Array(x.length)
  for (let i = 0; i < x.length; i++) out[i] = grayLevel(x[i])
  return out
}

/**
 * The grey levels of `tanh(a[i])` for `i < n`: exactly `toGray` of the float32 tanh the forward
 * pass computes, with the tanh evaluated only where `|a| < TANH_SATURATED` (or `a` is NaN).
 *
 * @example
 * tanhToGray(new Float32Array([-9, 0, 9]), 3) // Uint8Array [0, 128, 255]
 */
export function tanhToGray(a: Float32Array, n: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) {
    const v = a[i]
    if (v <= -TANH_SATURATED) out[i] = 0
    else if (v >= TANH_SATURATED) out[i] = 255
    else out[i] = grayLevel(Math.fround(detTanh(v))) // the activation's float32 store, then grey
  }
  return out
}
