/**
 * @module shared/model/f16
 * Reduced-precision storage of float32 tensors, the number formats of the weight payload (layout
 * in `shared/model/weights`): IEEE 754 binary16 ("half") conversion, and the f32 / f16 / q8 tensor
 * codecs built on it (plus q12, 12-bit integers for the same per-unit scheme as q8, and q14, one
 * step per tensor in 16-bit words). Binary16 is written out because `Math.f16round` and
 * `Float16Array` are not in Node 20. Rounding is round-to-nearest-even, as in hardware
 * conversions; subnormals, ±0, ±∞ and NaN are kept. Only exact operations are used (scaling by
 * powers of two, floor, compares, and one IEEE division per quantized value), so every engine
 * yields the same bits. Validation is the caller's job (`shared/model/weights`).
 */

/** Storage type of dense kernels. */
export type Dtype = 'f32' | 'f16' | 'q8' | 'q12' | 'q14' | 'q15'

export const DTYPES: readonly Dtype[] = ['f32', 'f16', 'q8', 'q12', 'q14', 'q15']

const F64 = new Float64Array(1)
const I32 = new Int32Array(F64.buffer)
const HI = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 1 : 0

/** 2^k for k in [-40, 40], built by exact doubling. */
const POW2 = (() => {
  const table = new Float64Array(81)
  table[40] = 1
  for (let k = 1; k <= 40; k++) {
    table[40 + k] = table[39 + k] * 2
    table[40 - k] = table[41 - k] / 2
  }
  return table
})()

function pow2(k: number): number {
  return POW2[40 + k]
}

/** Round a non-negative double to the nearest integer, ties to even. */
function roundHalfEven(q: number): number {
  const f = Math.floor(q)
  const d = q - f // exact: q < 2^12 here
  if (d > 0.5) return f + 1
  if (d < 0.5) return f
  return f % 2 === 0 ? f : f + 1
}

/** Half-precision magnitudes at or above this round to infinity (65504 + half an ulp). */
export const HALF_OVERFLOW = 65520
/** Smallest positive normal half, 2^-14. */
const HALF_MIN_NORMAL = pow2(-14)

/**
 * The binary16 bit pattern nearest to `x` (ties to even).
 *
 * @example
 * toHalfBits(1) // 0x3c00
 * toHalfBits(65520) // 0x7c00 (rounds to +∞)
 */
export function toHalfBits(x: number): number {
  if (x !== x) return 0x7e00 // NaN (quiet)
  const sign = x < 0 || (x === 0 && 1 / x < 0) ? 0x8000 : 0
  const a = Math.abs(x)
  if (a >= HALF_OVERFLOW) return sign | 0x7c00
  if (a < HALF_MIN_NORMAL) {
    // subnormal: units of 2^-24; a rounded count of 1024 is exactly the smallest normal's bits
    return sign | roundHalfEven(a * pow2(24))
  }
  F64[0] = a
  const e = ((I32[HI] >>> 20) & 0x7ff) - 1023 // a is a normal double in [2^-14, 65520)
  let m = roundHalfEven(a * pow2(10 - e)) // in [1024, 2048]
  let exp = e + 15
  if (m === 2048) {
    m = 1024
    exp++
  }
  if (exp >= 31) return sign | 0x7c00
  return sign | (exp << 10) | (m - 1024)
}

/**
 * The value of a binary16 bit pattern (exact in a double and in a float32).
 *
 * @example
 * fromHalfBits(0x3c00) // 1
 * fromHalfBits(0x0001) // 2^-24, the smallest subnormal
 */
export function fromHalfBits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1
  const exp = (bits >>> 10) & 0x1f
  const mant = bits & 0x3ff
  if (exp === 0) return sign * mant * pow2(-24)
  if (exp === 31) return mant === 0 ? sign * Infinity : NaN
  return sign * (1024 + mant) * pow2(exp - 25)
}

/** Largest q8 magnitude: the int8 range is used symmetrically, [-127, 127]. */
const Q8_MAX = 127
/** Largest q12 magnitude: 12-bit two's complement used symmetrically, [-2047, 2047]. */
const Q12_MAX = 2047
/** Largest q14 magnitude: [-8191, 8191], stored as int16. */
export const Q14_MAX = 8191
/** Largest q15 magnitude: [-16383, 16383], stored as int16 (q14 with half the step). */
export const Q15_MAX = 16383

/** The int16-word, one-step-per-tensor dtypes and their largest magnitude. */
export function wordQuantMax(dtype: Dtype): number | undefined {
  return dtype === 'q14' ? Q14_MAX : dtype === 'q15' ? Q15_MAX : undefined
}

/**
 * Payload bytes of a tensor: q8 and q12 store one float32 scale per unit (last axis), then the
 * integers (q12: two values in three bytes, little-endian 24-bit word, first value in the low
 * bits); q14 stores one float32 scale for the whole tensor, then int16 values, little-endian.
 */
export function tensorByteLength(dtype: Dtype, shape: readonly number[]): number {
  const n = shape.reduce((a, b) => a * b, 1)
  if (dtype === 'f32') return 4 * n
  if (dtype === 'f16') return 2 * n
  if (wordQuantMax(dtype) !== undefined) return 4 + 2 * n
  const units = shape[shape.length - 1]
  return 4 * units + (dtype === 'q8' ? n : 3 * Math.ceil(n / 2))
}

/** Store one quantized integer `v` (in [-qmax, qmax]) as element `i` of a q8/q12 block at `q`. */
function setInt(view: DataView, q: number, dtype: Dtype, i: number, v: number): void {
  if (dtype === 'q8') return view.setInt8(q + i, v)
  const at = q + 3 * (i >> 1)
  const u = v & 0xfff
  if ((i & 1) === 0) {
    view.setUint8(at, u & 0xff)
    view.setUint8(at + 1, (view.getUint8(at + 1) & 0xf0) | (u >> 8))
  } else {
    view.setUint8(at + 1, (view.getUint8(at + 1) & 0x0f) | ((u & 0xf) << 4))
    view.setUint8(at + 2, u >> 4)
  }
}

/** Element `i` of a q8/q12 block at `q`, sign-extended. */
function getInt(view: DataView, q: number, dtype: Dtype, i: number): number {
  if (dtype === 'q8') return view.getInt8(q + i)
  const at = q + 3 * (i >> 1)
  const u =
    (i & 1) === 0
      ? view.getUint8(at) | ((view.getUint8(at + 1) & 0x0f) << 8)
      : (view.getUint8(at + 1) >> 4) | (view.getUint8(at + 2) << 4)
  return (u << 20) >> 20
}

/**
 * Write `values` (row-major, `shape`) at `offset`, little-endian. q8 needs a 2-D `[inputs, units]`
 * kernel: per unit `j`, `scale_j = fround(maxAbs_j / 127)` (1 for an all-zero column) and
 * `q = round(v / scale_j)`, halves away from zero — the stored float32 scale is the one divided by,
 * so decoding is within scale/2. q12 likewise with 2047. q14 uses one scale for the whole tensor,
 * `fround(maxAbs / 8191)`; q15 the same with 16383 (one more bit, about 9 % more payload).
 *
 * Why one step per tensor for q14: a dense layer's output error is `Σ_i x_i·ε_ij`, which depends on
 * the absolute rounding errors ε, not on how large a unit's weights are. Per-unit scales give the
 * units with the largest weights the coarsest steps; they are needed when the integer range is
 * tight (q8), not when 16-bit words leave room and the payload is entropy-coded, where a weight
 * costs about log2(spread / step) bits whatever the range. Measured on the shipped model (1000
 * seeds, worst pixel before rounding to grey levels): per-unit 13-bit steps give 0.93 grey levels
 * in 889 KiB, one 14-bit step per tensor 0.74 in 863 KiB.
 */
export function writeTensor(
  view: DataView,
  offset: number,
  dtype: Dtype,
  shape: readonly number[],
  values: Float32Array,
): void {
  if (dtype === 'f32') {
    for (let i = 0; i < values.length; i++) view.setFloat32(offset + 4 * i, values[i], true)
  } else if (dtype === 'f16') {
    for (let i = 0; i < values.length; i++)
      view.setUint16(offset + 2 * i, toHalfBits(values[i]), true)
  } else if (wordQuantMax(dtype) !== undefined) {
    const qmax = wordQuantMax(dtype)!
    let maxAbs = 0
    for (const v of values) maxAbs = Math.max(maxAbs, Math.abs(v))
    const scale = quantScale(maxAbs, qmax)
    view.setFloat32(offset, scale, true)
    for (let i = 0; i < values.length; i++) {
      view.setInt16(offset + 4 + 2 * i, quantize(values[i], scale, qmax), true)
    }
  } else {
    const [inputs, units] = shape
    const qmax = dtype === 'q8' ? Q8_MAX : Q12_MAX
    const q = offset + 4 * units
    for (let j = 0; j < units; j++) {
      let maxAbs = 0
      for (let i = 0; i < inputs; i++) maxAbs = Math.max(maxAbs, Math.abs(values[i * units + j]))
      const scale = quantScale(maxAbs, qmax)
      view.setFloat32(offset + 4 * j, scale, true)
      for (let i = 0; i < inputs; i++) {
        setInt(view, q, dtype, i * units + j, quantize(values[i * units + j], scale, qmax))
      }
    }
  }
}

/** `fround(maxAbs / qmax)`, or 1 for all zeros (or values so small that the scale underflows). */
function quantScale(maxAbs: number, qmax: number): number {
  const scale = Math.fround(maxAbs / qmax)
  return scale > 0 ? scale : 1
}

/** `round(v / scale)` with halves away from zero, clamped to ±qmax. */
function quantize(v: number, scale: number, qmax: number): number {
  const r = v / scale
  const rounded = Math.min(qmax, Math.round(Math.abs(r)))
  return r < 0 ? -rounded : rounded
}

/**
 * The stored integers of a quantized tensor (q8, q12, q14, q15): `values` row-major as written,
 * `scales` one float32 step per unit (last axis; q14 and q15 repeat their single step), so that
 * element `i` is `values[i] · scales[i mod units]`.
 */
export interface IntegerTensor {
  values: Int16Array
  scales: Float32Array
}

/**
 * The integers and steps of a q8/q12/q14/q15 tensor written by `writeTensor`, undefined for f32
 * and f16. The forward pass computes with these (shared/inference/compile), not with the dequantized floats.
 */
export function readIntegers(
  view: DataView,
  offset: number,
  dtype: Dtype,
  shape: readonly number[],
): IntegerTensor | undefined {
  if (dtype === 'f32' || dtype === 'f16') return undefined
  const n = shape.reduce((a, b) => a * b, 1)
  const units = shape[shape.length - 1]
  const values = new Int16Array(n)
  const scales = new Float32Array(units)
  if (wordQuantMax(dtype) !== undefined) {
    scales.fill(view.getFloat32(offset, true))
    for (let i = 0; i < n; i++) values[i] = view.getInt16(offset + 4 + 2 * i, true)
  } else {
    for (let j = 0; j < units; j++) scales[j] = view.getFloat32(offset + 4 * j, true)
    const q = offset + 4 * units
    for (let i = 0; i < n; i++) values[i] = getInt(view, q, dtype, i)
  }
  return { values, scales }
}

/** Read a tensor written by `writeTensor`, dequantized to float32 (`q · scale` for q8…q15). */
export function readTensor(
  view: DataView,
  offset: number,
  dtype: Dtype,
  shape: readonly number[],
): Float32Array {
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1))
  if (dtype === 'f32') {
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(offset + 4 * i, true)
  } else if (dtype === 'f16') {
    for (let i = 0; i < out.length; i++) out[i] = fromHalfBits(view.getUint16(offset + 2 * i, true))
  } else {
    return dequantize(readIntegers(view, offset, dtype, shape)!)
  }
  return out
}

/** The float32 values of a quantized tensor: `values[i] · scales[i mod units]`, rounded once. */
export function dequantize({ values, scales }: IntegerTensor): Float32Array {
  const out = new Float32Array(values.length)
  const units = scales.length
  for (let i = 0; i < out.length; i++) out[i] = values[i] * scales[i % units]
  return out
}
