/**
 * @module shared/math/dettrig
 * Deterministic `sin` and `acos` for doubles, what spherical interpolation of latents needs.
 * `Math.sin` and `Math.acos` are "implementation-approximated" in ECMAScript, so engines may differ
 * in the last bit, which would make a browser's interpolated digit differ from the worker's. These
 * are ports of FreeBSD msun (`k_sin.c`, `k_cos.c`, `e_rem_pio2.c`, `e_acos.c`; Sun Microsystems,
 * freely redistributable), error < 1 ulp, using only + − × ÷ and `Math.sqrt` (all IEEE correctly
 * rounded), so every engine computes the same bits. Unlike msun they read no bits of the double:
 * the argument reduction always runs all three Cody–Waite rounds (msun stops early when it may),
 * and `acos` splits `sqrt` Veltkamp-style instead of clearing its low word.
 */

// sin on [-π/4, π/4]: x + x³·S(x²) (k_sin.c)
const S1 = -1.66666666666666324348e-1
const S2 = 8.33333333332248946124e-3
const S3 = -1.98412698298579493134e-4
const S4 = 2.75573137070700676789e-6
const S5 = -2.50507602534068634195e-8
const S6 = 1.58969099521155010221e-10

// cos on [-π/4, π/4] (k_cos.c, the 2008 version without high-word tests)
const C1 = 4.16666666666666019037e-2
const C2 = -1.38888888888741095749e-3
const C3 = 2.48015872894767294178e-5
const C4 = -2.75573143513906633035e-7
const C5 = 2.0875723212981748279e-9
const C6 = -1.13596475577881948265e-11

// π/2 in four pieces; each of the first three has 33 significant bits, so n·PIO2_k is exact.
const INV_PIO2 = 6.36619772367581382433e-1
const PIO2_1 = 1.57079632673412561417
const PIO2_2 = 6.0771005063039659766e-11
const PIO2_2T = 2.02226624879595063154e-21
const PIO2_3 = 2.0222662487111664558e-21
const PIO2_3T = 8.47842766036889956997e-32

/** Largest |x| the three-round reduction handles exactly (msun's "medium" case bound). */
export const MAX_SIN_ARGUMENT = 2 ** 19 * (Math.PI / 2)

/** sin(x + y) for |x| ≤ π/4, `y` the tail of `x` or 0 when it has none (k_sin.c). */
function kernelSin(x: number, y: number, hasTail: boolean): number {
  const z = x * x
  const w = z * z
  const r = S2 + z * (S3 + z * S4) + z * w * (S5 + z * S6)
  const v = z * x
  if (!hasTail) return x + v * (S1 + z * r)
  return x - (z * (0.5 * y - v * r) - y - v * S1)
}

/** cos(x + y) for |x| ≤ π/4 (k_cos.c). */
function kernelCos(x: number, y: number): number {
  const z = x * x
  let w = z * z
  const r = z * (C1 + z * (C2 + z * C3)) + w * w * (C4 + z * (C5 + z * C6))
  const hz = 0.5 * z
  w = 1 - hz
  return w + (1 - w - hz + (z * r - x * y))
}

/**
 * Sine of `x` (radians). NaN and ±∞ give NaN; |x| beyond {@link MAX_SIN_ARGUMENT} (≈ 823 550)
 * throws, since latent angles never leave [0, π].
 *
 * @throws RangeError for a finite |x| > MAX_SIN_ARGUMENT.
 * @example
 * detSin(Math.PI / 6) // 0.49999999999999994, as Math.sin in V8
 */
export function detSin(x: number): number {
  if (x !== x || x === Infinity || x === -Infinity) return NaN
  const ax = Math.abs(x)
  if (ax > MAX_SIN_ARGUMENT) {
    throw new RangeError(`Expected |x| <= ${MAX_SIN_ARGUMENT}, but got ${x}.`)
  }
  if (ax < 2 ** -26) return x // sin(x) rounds to x (and keeps −0)
  if (ax <= Math.PI / 4) return kernelSin(x, 0, false)
  // ax = n·π/2 + (y0 + y1), |y0 + y1| ≤ π/4; Math.round and Math.floor are exact operations.
  const fn = Math.round(ax * INV_PIO2)
  // Rounds 2 and 3 of e_rem_pio2.c's medium case (round 1's tail PIO2_1T = PIO2_2 + PIO2_2T is
  // subsumed). The value is kept as r − w; `(t − r) − w` recovers the rounding error of `t − w`
  // exactly. msun runs round 3 only after a cancellation made round 2 exact; run always, it must
  // carry round 2's error `e2` along.
  const r1 = ax - fn * PIO2_1 // exact: fn·PIO2_1 has at most 53 bits and is close to ax
  const w2 = fn * PIO2_2
  const r2 = r1 - w2
  const e2 = r1 - r2 - w2
  const w3 = fn * PIO2_3
  const r = r2 - w3
  const w = fn * PIO2_3T - (r2 - r - w3) - e2
  const y0 = r - w
  const y1 = r - y0 - w
  const quadrant = fn % 4
  const s =
    quadrant === 0
      ? kernelSin(y0, y1, true)
      : quadrant === 1
        ? kernelCos(y0, y1)
        : quadrant === 2
          ? -kernelSin(y0, y1, true)
          : -kernelCos(y0, y1)
  return x < 0 ? -s : s
}

// acos (e_acos.c): rational approximation of asin on [0, 0.5]
const PI = 3.141592653589793116
const PIO2_HI = 1.570796326794896558
const PIO2_LO = 6.12323399573676603587e-17
const PS0 = 1.66666666666666657415e-1
const PS1 = -3.25565818622400915405e-1
const PS2 = 2.01212532134862925881e-1
const PS3 = -4.00555345006794114027e-2
const PS4 = 7.91534994289814532176e-4
const PS5 = 3.4793310759602116757e-5
const QS1 = -2.40339491173441421878
const QS2 = 2.02094576023350569471
const QS3 = -6.8828397160545329303e-1
const QS4 = 7.70381505559019352791e-2
/** 2^27 + 1: Veltkamp's splitter for doubles. */
const SPLITTER = 134217729

/** asin(√z)/√z − 1 as a rational function of z ∈ [0, 0.25]: `R(z)` of e_acos.c. */
function ratio(z: number): number {
  const p = z * (PS0 + z * (PS1 + z * (PS2 + z * (PS3 + z * (PS4 + z * PS5)))))
  const q = 1 + z * (QS1 + z * (QS2 + z * (QS3 + z * QS4)))
  return p / q
}

/**
 * Arc cosine in [0, π]; NaN outside [−1, 1].
 *
 * @example
 * detAcos(0.5) // 1.0471975511965979, as Math.acos in V8
 */
export function detAcos(x: number): number {
  if (!(x >= -1 && x <= 1)) return NaN
  if (x === 1) return 0
  if (x === -1) return PI + 2 * PIO2_LO
  if (Math.abs(x) < 0.5) {
    if (Math.abs(x) <= 2 ** -57) return PIO2_HI + PIO2_LO
    return PIO2_HI - (x - (PIO2_LO - x * ratio(x * x)))
  }
  if (x < 0) {
    const z = (1 + x) * 0.5
    const s = Math.sqrt(z)
    const w = ratio(z) * s - PIO2_LO
    return PI - 2 * (s + w)
  }
  const z = (1 - x) * 0.5
  const s = Math.sqrt(z)
  // df: s cut to 26 significant bits, so df·df is exact and z − df·df is the rounding residue.
  const split = s * SPLITTER
  const df = split - (split - s)
  const c = (z - df * df) / (s + df)
  const w = ratio(z) * s + c
  return 2 * (df + w)
}
