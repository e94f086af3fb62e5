/**
 * @module shared/inference/float32-ops
 * The engine's arithmetic in plain JavaScript, float32 throughout: the fallback for the
 * WebAssembly kernel (dense and conv, bit-identical to it) and the element-wise ops that always
 * run in JS (BatchNorm scale and shift, activations, upsampling). Summation orders are documented
 * in shared/inference/forward.
 */
import type { ConvOp, DenseOp } from './compile'
import { detSigmoid, detTanh } from '../math/detmath'
import type { Activation } from '../model/spec'

/** `Math.fround`, named for the float32 operation each call stands for. */
const f32 = Math.fround

/**
 * y = W·x + b in JS, bit-identical to the kernel's `dense` (see shared/inference/kernel.wat): 16 running
 * float32 sums per block, each product and sum rounded by `f32`. A sum of two float32 values
 * computed in float64 and then rounded is the correctly rounded float32 sum (53 ≥ 2·24 + 2), and
 * the product of two is exact in float64, so this is IEEE float32 arithmetic. An integer kernel
 * (`op.steps`, the kernel's `dense_q`) sums `q·x` the same way (an int16 times a float32 is exact
 * in float64 too), then scales: `f32(f32(sum·step) + b)`. Writes the padding outputs too (0).
 */
export function denseJs(op: DenseOp, x: Float32Array, y: Float32Array): void {
  const { inputs: n, blocks, weights: w, steps, bias: b } = op
  const acc = new Float32Array(16) // stores round: acc[l] + b[l] below is the float32 sum
  for (let j = 0; j < blocks * 16; j += 16) {
    acc.fill(0)
    sum16(w, j * n, x, 0, n, acc) // block j/16 starts at weight (j/16)·n·16
    if (steps) for (let l = 0; l < 16; l++) y[j + l] = f32(acc[l] * steps[j + l]) + b[j + l]
    else for (let l = 0; l < 16; l++) y[j + l] = acc[l] + b[j + l]
  }
}

/**
 * Applies an activation in place to `y[0..n)`, float32 in and out: the same JS code after either
 * dense engine. Each result is computed in float64 and rounded once by the store.
 */
export function activate(fn: Activation, alpha: number, y: Float32Array, n: number): void {
  switch (fn) {
    case 'leakyRelu':
      for (let j = 0; j < n; j++) if (y[j] < 0) y[j] *= alpha
      break
    case 'relu':
      for (let j = 0; j < n; j++) if (y[j] < 0) y[j] = 0
      break
    case 'tanh':
      for (let j = 0; j < n; j++) y[j] = detTanh(y[j])
      break
    case 'sigmoid':
      for (let j = 0; j < n; j++) y[j] = detSigmoid(y[j])
      break
    case 'linear':
      break
  }
}

/**
 * A `same`-padded convolution in JS, bit-identical to the kernel's `conv` (shared/inference/kernel.wat):
 * each output `(oy, ox, f)` is a float32 sum from +0 over the taps inside the input in (ky, kx, c)
 * order, each product and sum rounded by `f32`, then `+ bias`. Skipping the padding taps equals
 * adding their zero products: the weights are finite, so each is ±0, and a float32 sum from +0
 * that adds ±0 never changes (it cannot reach −0 in round-to-nearest). A block of 16 filters runs
 * as 16 independent sums (like `denseJs`); a block with few real filters (the 1-filter output
 * layer) sums only those, one at a time.
 */
export function convJs(op: ConvOp, x: Float32Array, y: Float32Array): void {
  const { height: h, width: wd, channels: c, outHeight, outWidth, filters, blocks } = op
  const { kernelSize: k, stride, top, left, weights: w, bias: b } = op
  const acc = new Float32Array(16) // stores round: acc[l] = acc[l] + p is the float32 sum
  for (let oy = 0; oy < outHeight; oy++) {
    const iy0 = oy * stride - top
    const ky0 = Math.max(0, -iy0)
    const ky1 = Math.min(k, h - iy0)
    for (let ox = 0; ox < outWidth; ox++) {
      const ix0 = ox * stride - left
      const kx0 = Math.max(0, -ix0)
      const n = (Math.min(k, wd - ix0) - kx0) * c // a kernel row's taps: contiguous in x and w
      const out = (oy * outWidth + ox) * filters
      for (let block = 0; block < blocks; block++) {
        const lanes = Math.min(16, filters - block * 16)
        acc.fill(0)
        for (let ky = ky0; ky < ky1; ky++) {
          const xs = ((iy0 + ky) * wd + ix0 + kx0) * c
          const ws = ((block * k + ky) * k + kx0) * c * 16
          if (lanes > 4) sum16(w, ws, x, xs, n, acc)
          else for (let l = 0; l < lanes; l++) acc[l] = sum1(w, ws + l, x, xs, n, acc[l])
        }
        for (let l = 0; l < lanes; l++) y[out + block * 16 + l] = acc[l] + b[block * 16 + l]
      }
    }
  }
}

/** `a` plus `w[ws + 16i]·x[xs + i]` for `i < n`, in order, float32. */
function sum1(w: Float32Array, ws: number, x: Float32Array, xs: number, n: number, a: number) {
  for (let i = xs, end = xs + n; i < end; i++, ws += 16) a = f32(a + f32(w[ws] * x[i]))
  return a
}

/** `acc[l]` plus `w[ws + 16i + l]·x[xs + i]` for `i < n`, every lane l < 16, float32. */
function sum16(
  w: Float32Array | Int16Array,
  ws: number,
  x: Float32Array,
  xs: number,
  n: number,
  acc: Float32Array,
) {
  // prettier-ignore
  let a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3], a4 = acc[4], a5 = acc[5]
  // prettier-ignore
  let a6 = acc[6], a7 = acc[7], a8 = acc[8], a9 = acc[9], a10 = acc[10], a11 = acc[11]
  // prettier-ignore
  let a12 = acc[12], a13 = acc[13], a14 = acc[14], a15 = acc[15]
  for (let i = xs, o = ws, end = xs + n; i < end; i++, o += 16) {
    const xi = x[i]
    a0 = f32(a0 + f32(w[o] * xi))
    a1 = f32(a1 + f32(w[o + 1] * xi))
    a2 = f32(a2 + f32(w[o + 2] * xi))
    a3 = f32(a3 + f32(w[o + 3] * xi))
    a4 = f32(a4 + f32(w[o + 4] * xi))
    a5 = f32(a5 + f32(w[o + 5] * xi))
    a6 = f32(a6 + f32(w[o + 6] * xi))
    a7 = f32(a7 + f32(w[o + 7] * xi))
    a8 = f32(a8 + f32(w[o + 8] * xi))
    a9 = f32(a9 + f32(w[o + 9] * xi))
    a10 = f32(a10 + f32(w[o + 10] * xi))
    a11 = f32(a11 + f32(w[o + 11] * xi))
    a12 = f32(a12 + f32(w[o + 12] * xi))
    a13 = f32(a13 + f32(w[o + 13] * xi))
    a14 = f32(a14 + f32(w[o + 14] * xi))
    a15 = f32(a15 + f32(w[o + 15] * xi))
  }
  // prettier-ignore
  acc[0] = a0
  acc[1] = a1
  acc[2] = a2
  acc[3] = a3
  acc[4] = a4
  acc[5] = a5
  acc[6] = a6
  acc[7] = a7
  // prettier-ignore
  acc[8] = a8
  acc[9] = a9
  acc[10] = a10
  acc[11] = a11
  acc[12] = a12
  acc[13] = a13
  acc[14] = a14
  acc[15] = a15
}

/**
 * `y[j] = y[j]·scale[j mod n] + shift[j mod n]` in place for `j < size`, float32: the product
 * rounded, the sum rounded by the store.
 */
export function affine(scale: Float32Array, shift: Float32Array, y: Float32Array, size: number) {
  const n = scale.length
  for (let j = 0; j < size; j += n) {
    for (let c = 0; c < n; c++) y[j + c] = f32(y[j + c] * scale[c]) + shift[c]
  }
}

/** Nearest-neighbour 2× upsampling of an `[h, w, c]` map `x` into `y` `[2h, 2w, c]`: copies. */
export function upsample2(h: number, w: number, c: number, x: Float32Array, y: Float32Array) {
  const row = 2 * w * c
  for (let iy = 0; iy < h; iy++) {
    const r = 2 * iy * row
    for (let ix = 0; ix < w; ix++) {
      const src = (iy * w + ix) * c
      const dst = r + 2 * ix * c
      for (let ch = 0; ch < c; ch++) {
        const v = x[src + ch]
        y[dst + ch] = v
        y[dst + c + ch] = v
      }
    }
    y.copyWithin(r + row, r, r + row) // the odd output row repeats the even one
  }
}
