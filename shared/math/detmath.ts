/**
 * @module shared/math/detmath
 * Deterministic `log`, `exp`, `tanh` and sigmoid for doubles. ECMAScript lets `Math.log`, `Math.exp`
 * and `Math.tanh` be "implementation-approximated", so V8, JavaScriptCore and SpiderMonkey may
 * differ in the last bit — enough to flip a grey level and change a PNG's bytes. These are ports of
 * fdlibm 5.3 (`e_log.c`, `e_exp.c`, `s_expm1.c`, `s_tanh.c`; Sun Microsystems, freely
 * redistributable), error < 1 ulp. They use only + − × ÷ (IEEE correctly rounded), exact
 * compares and exact bit reads/writes of the double, so every engine computes the same bits.
 */

// Views on one scratch double for fdlibm's GET_HIGH_WORD / SET_HIGH_WORD. Typed arrays use the
// platform's byte order, so find which 32-bit half holds the sign and exponent.
const F64 = new Float64Array(1)
const I32 = new Int32Array(F64.buffer)
const HI = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 1 : 0
const LO = 1 - HI

/** High word of `x` as a signed int32 (sign, exponent, top 20 mantissa bits). */
function highWord(x: number): number {
  F64[0] = x
  return I32[HI]
}

/** Low word of `x` as an unsigned int32. */
function lowWord(x: number): number {
  F64[0] = x
  return I32[LO] >>> 0
}

/** The double whose words are `hi` and `lo`. */
function fromWords(hi: number, lo: number): number {
  I32[HI] = hi
  I32[LO] = lo
  return F64[0]
}

const LN2_HI = 6.9314718036912381649e-1 // 0x3FE62E42 FEE00000
const LN2_LO = 1.90821492927058770002e-10 // 0x3DEA39EF 35793C76
const INV_LN2 = 1.442695040888963387 // 0x3FF71547 652B82FE
const TWO54 = 1.8014398509481984e16 // 2^54
const TWO_M1000 = 9.3326361850321887899e-302 // 2^-1000
const TWO_1023 = 8.98846567431158e307 // 2^1023
const O_THRESHOLD = 7.09782712893383973096e2 // largest x with finite exp(x)
const U_THRESHOLD = -7.4513321910194110842e2 // below: exp(x) rounds to 0

const LG1 = 6.66666666666673513e-1
const LG2 = 3.999999999940941908e-1
const LG3 = 2.857142874366239149e-1
const LG4 = 2.222219843214978396e-1
const LG5 = 1.818357216161805012e-1
const LG6 = 1.531383769920937332e-1
const LG7 = 1.479819860511658591e-1

/**
 * Natural logarithm (fdlibm `__ieee754_log`): `log(±0) = −∞`, `log(x < 0) = NaN`, `log(∞) = ∞`.
 *
 * @example
 * detLog(Math.E) // 1
 */
export function detLog(x: number): number {
  let hx = highWord(x)
  const lx = lowWord(x)
  let k = 0
  if (hx < 0x00100000) {
    // x < 2^-1022: zero, negative or subnormal
    if (((hx & 0x7fffffff) | lx) === 0) return -Infinity
    if (hx < 0) return NaN
    k -= 54
    x *= TWO54 // scale a subnormal into the normal range
    hx = highWord(x)
  }
  if (hx >= 0x7ff00000) return x + x
  k += (hx >> 20) - 1023
  hx &= 0x000fffff
  let i = (hx + 0x95f64) & 0x100000
  // normalize x into [sqrt(2)/2, sqrt(2)) by choosing the exponent 0 or −1
  F64[0] = x
  I32[HI] = hx | (i ^ 0x3ff00000)
  x = F64[0]
  k += i >> 20
  const f = x - 1
  const dk = k
  if ((0x000fffff & (2 + hx)) < 3) {
    // |f| < 2^-20
    if (f === 0) return k === 0 ? 0 : dk * LN2_HI + dk * LN2_LO
    const r = f * f * (0.5 - 0.33333333333333333 * f)
    return k === 0 ? f - r : dk * LN2_HI - (r - dk * LN2_LO - f)
  }
  const s = f / (2 + f)
  const z = s * s
  i = hx - 0x6147a
  const w = z * z
  const j = 0x6b851 - hx
  const t1 = w * (LG2 + w * (LG4 + w * LG6))
  const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)))
  i |= j
  const r = t2 + t1
  if (i > 0) {
    const hfsq = 0.5 * f * f
    if (k === 0) return f - (hfsq - s * (hfsq + r))
    return dk * LN2_HI - (hfsq - (s * (hfsq + r) + dk * LN2_LO) - f)
  }
  if (k === 0) return f - s * (f - r)
  return dk * LN2_HI - (s * (f - r) - dk * LN2_LO - f)
}

/** The double whose high word is `hi` and low word 0: fdlibm's high-word thresholds as values. */
function word(hi: number): number {
  return fromWords(hi, 0)
}

// `hx < H` on the high word of |x| is `|x| < word(H)`, and `hx > H` is `|x| >= word(H + 1)`, for
// every non-NaN x. Comparing values avoids the typed-array round trips in the hot path (tanh runs
// 784 times per image), with the same results.
const EXP_LARGE = word(0x40862e42) // ~709.78
const EXPM1_LARGE = word(0x4043687a) // ~56·ln2
const HALF_LN2 = word(0x3fd62e43) // just above ln2/2
const THREE_HALF_LN2 = word(0x3ff0a2b2) // ~1.5·ln2
const TWO_M28 = word(0x3e300000)
const TWO_M54 = word(0x3c900000)
const TWO_M55 = word(0x3c800000)

/** 2^k for k in [-1074, 1023], built by exact doubling and halving. */
const POW2 = (() => {
  const table = new Float64Array(2098)
  table[1074] = 1
  for (let k = 1; k <= 1023; k++) table[1074 + k] = table[1073 + k] * 2
  for (let k = 1; k <= 1074; k++) table[1074 - k] = table[1075 - k] / 2
  return table
})()

function pow2(k: number): number {
  return POW2[1074 + k]
}

const P1 = 1.66666666666666019037e-1
const P2 = -2.77777777770155933842e-3
const P3 = 6.61375632143793436117e-5
const P4 = -1.6533902205465251539e-6
const P5 = 4.13813679705723846039e-8

/**
 * Exponential (fdlibm `__ieee754_exp`): overflows to `∞` above ~709.78, underflows to 0 below
 * ~−745.13, `exp(−∞) = 0`.
 *
 * @example
 * detExp(0) // 1
 */
export function detExp(x: number): number {
  if (x !== x) return x // NaN
  const ax = Math.abs(x)
  const neg = x < 0
  if (ax >= EXP_LARGE) {
    if (ax === Infinity) return neg ? 0 : x
    if (x > O_THRESHOLD) return Infinity
    if (x < U_THRESHOLD) return 0
  }
  let hi = 0
  let lo = 0
  let k = 0
  if (ax >= HALF_LN2) {
    // reduce x = k·ln2 + r with |r| <= ln2/2, r = hi − lo
    if (ax < THREE_HALF_LN2) {
      if (x === 1) return Math.E // fdlibm's reduction misses the last bit of e; Math.E is exact
      hi = neg ? x + LN2_HI : x - LN2_HI
      lo = neg ? -LN2_LO : LN2_LO
      k = neg ? -1 : 1
    } else {
      k = Math.trunc(INV_LN2 * x + (neg ? -0.5 : 0.5))
      hi = x - k * LN2_HI // exact: k·LN2_HI has trailing zeros
      lo = k * LN2_LO
    }
    x = hi - lo
  } else if (ax < TWO_M28) {
    return 1 + x
  }
  const t = x * x
  const c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))))
  if (k === 0) return 1 - ((x * c) / (c - 2) - x)
  const y = 1 - (lo - (x * c) / (2 - c) - hi)
  if (k >= -1021) return k === 1024 ? y * 2 * TWO_1023 : y * pow2(k)
  return y * pow2(k + 1000) * TWO_M1000 // scale in two steps so the subnormal rounds once
}

const Q1 = -3.33333333333331316428e-2
const Q2 = 1.58730158725481460165e-3
const Q3 = -7.93650757867487942473e-5
const Q4 = 4.00821782732936239552e-6
const Q5 = -2.01099218183624371326e-7

/** exp(x) − 1 without cancellation near 0 (fdlibm `expm1`); what `detTanh` is built on. */
export function detExpm1(x: number): number {
  if (x !== x) return x // NaN
  const ax = Math.abs(x)
  const neg = x < 0
  if (ax >= EXPM1_LARGE) {
    if (ax >= EXP_LARGE) {
      if (ax === Infinity) return neg ? -1 : x
      if (x > O_THRESHOLD) return Infinity
    }
    if (neg) return -1 // x < −56·ln2: exp(x) is below half an ulp of 1
  }
  let k = 0
  let c = 0
  if (ax >= HALF_LN2) {
    let hi: number
    let lo: number
    if (ax < THREE_HALF_LN2) {
      hi = neg ? x + LN2_HI : x - LN2_HI
      lo = neg ? -LN2_LO : LN2_LO
      k = neg ? -1 : 1
    } else {
      k = Math.trunc(INV_LN2 * x + (neg ? -0.5 : 0.5))
      hi = x - k * LN2_HI
      lo = k * LN2_LO
    }
    x = hi - lo
    c = hi - x - lo // what the rounding of hi − lo lost
  } else if (ax < TWO_M54) {
    return x
  }
  const hfx = 0.5 * x
  const hxs = x * hfx
  const r1 = 1 + hxs * (Q1 + hxs * (Q2 + hxs * (Q3 + hxs * (Q4 + hxs * Q5))))
  const t = 3 - r1 * hfx
  let e = hxs * ((r1 - t) / (6 - x * t))
  if (k === 0) return x - (x * e - hxs)
  e = x * (e - c) - c
  e -= hxs
  if (k === -1) return 0.5 * (x - e) - 0.5
  if (k === 1) return x < -0.25 ? -2 * (e - (x + 0.5)) : 1 + 2 * (x - e)
  if (k <= -2 || k > 56) {
    const y = 1 - (e - x)
    return (k === 1024 ? y * 2 * TWO_1023 : y * pow2(k)) - 1
  }
  if (k < 20) return (1 - pow2(-k) - (e - x)) * pow2(k) // 1 − 2^-k is exact here
  return (x - (e + pow2(-k)) + 1) * pow2(k)
}

/**
 * Hyperbolic tangent (fdlibm `tanh`): exactly ±1 for |x| >= 22, `x` itself for |x| < 2^-55.
 *
 * @example
 * detTanh(0.5) // 0.46211715726000974
 */
export function detTanh(x: number): number {
  if (x !== x) return x // NaN
  const ax = Math.abs(x)
  let z: number
  if (ax < 22) {
    if (ax < TWO_M55) return x * (1 + x) // keeps −0 and subnormals
    if (ax >= 1) {
      const t = detExpm1(2 * ax)
      z = 1 - 2 / (t + 2)
    } else {
      const t = detExpm1(-2 * ax)
      z = -t / (t + 2)
    }
  } else {
    z = 1 // |x| >= 22 (or ∞): tanh rounds to ±1
  }
  return x > 0 ? z : -z
}

/**
 * Logistic sigmoid `1 / (1 + exp(−x))` on `detExp`; saturates to exactly 0 and 1.
 *
 * @example
 * detSigmoid(0) // 0.5
 */
export function detSigmoid(x: number): number {
  return 1 / (1 + detExp(-x))
}
