/**
 * @module engine/cpu/wat-math
 * The transcendental functions of the fused CPU step, in WAT: WebAssembly has none, and the step
 * must give the same bits on every machine and engine, so each is range reduction plus a
 * polynomial in IEEE-rounded `+ − × ÷` only (never `Math.*`, never FMA).
 *
 * - `$tanh4` (f32x4, G's output layer): Cephes `tanhf` — an odd polynomial below |x| = 0.625,
 *   `1 − 2/(e^{2|x|} + 1)` above, with `$exp4`, Cephes `expf` (2^n · a degree-7 polynomial);
 *   |x| is clamped at 9, where tanh is 1 in float32. About 2 ulp from the true value.
 * - `$exp64`, `$log1p64` (f64, the BCE loss heads): Taylor series after reduction, far below f32
 *   rounding, so the f32 results they feed are correctly rounded in practice.
 */
import { f64, get, set, splat } from './wat-text'

const LOG2E = 1.4426950408889634
const C1 = 0.693359375
const C2 = -2.1219444e-4
const EXP_P = [
  1.98756915e-4, 1.39819995e-3, 8.33345191e-3, 4.16657959e-2, 1.66666655e-1, 5.00000012e-1,
]
const TANH_P = [
  -5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1,
]

/** Horner's rule over `coeffs` (highest degree first) in `x`, with `mul`/`add` of one type. */
function horner(coeffs: string[], x: string, mul: string, add: string): string {
  let acc = coeffs[0]
  for (const c of coeffs.slice(1)) acc = `(${add} (${mul} ${acc} ${x}) ${c})`
  return acc
}

/** `$exp4` and `$tanh4`. */
export function vectorMath(): string {
  return `(func $exp4 (param $x v128) (result v128)
    (local $n v128) (local $r v128)
    ;; x ≥ 0 here (tanh passes 2|x| ≤ 18): no overflow or underflow to handle
    ${set('n', `(f32x4.nearest (f32x4.mul ${get('x')} ${splat(LOG2E)}))`)}
    ${set('r', `(f32x4.sub (f32x4.sub ${get('x')} (f32x4.mul ${get('n')} ${splat(C1)})) (f32x4.mul ${get('n')} ${splat(C2)}))`)}
    (f32x4.mul
      (f32x4.add (f32x4.add
        (f32x4.mul ${horner(EXP_P.map(splat), get('r'), 'f32x4.mul', 'f32x4.add')} (f32x4.mul ${get('r')} ${get('r')}))
        ${get('r')}) ${splat(1)})
      (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s ${get('n')}) (i32x4.splat (i32.const 127))) (i32.const 23))))
  (func $tanh4 (param $x v128) (result v128)
    (local $ax v128) (local $z v128) (local $small v128) (local $large v128) (local $e v128)
    ${set('ax', `(f32x4.abs ${get('x')})`)}
    ${set('z', `(f32x4.mul ${get('x')} ${get('x')})`)}
    ${set('small', `(f32x4.add (f32x4.mul (f32x4.mul ${horner(TANH_P.map(splat), get('z'), 'f32x4.mul', 'f32x4.add')} ${get('z')}) ${get('x')}) ${get('x')})`)}
    ${set('e', `(call $exp4 (f32x4.mul (f32x4.pmin ${get('ax')} ${splat(9)}) ${splat(2)}))`)}
    ${set('large', `(f32x4.sub ${splat(1)} (f32x4.div ${splat(2)} (f32x4.add ${get('e')} ${splat(1)})))`)}
    ;; tanh is odd: the sign of x onto the non-negative large branch
    ${set('large', `(v128.or ${get('large')} (v128.and ${get('x')} (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000)))`)}
    (v128.bitselect ${get('small')} ${get('large')} (f32x4.lt ${get('ax')} ${splat(0.625)})))`
}

const LN2_HI = 6.9314718036912381649e-1
const LN2_LO = 1.90821492927058770002e-10
const INV_LN2 = 1.442695040888963387

/** 1/k! for k = 13 … 0, highest degree first. */
const EXP_TAYLOR = Array.from({ length: 14 }, (_, i) => {
  let f = 1
  for (let k = 2; k <= 13 - i; k++) f *= k
  return 1 / f
})

/** 1/(2k + 1) for k = 16 … 0: log1p(y) = 2s·Σ s^{2k}/(2k + 1), s = y/(2 + y). */
const ATANH_SERIES = Array.from({ length: 17 }, (_, i) => 1 / (2 * (16 - i) + 1))

/** `$exp64`, `$log1p64` (for y in [0, 1]) and the logistic `$sigmoid64`. */
export function scalarMath(): string {
  return `(func $exp64 (param $x f64) (result f64)
    (local $n f64) (local $r f64)
    ;; |x| ≤ 700 keeps 2^n a normal double; the losses never need more
    ${set('x', `(f64.min (f64.max ${get('x')} ${f64(-700)}) ${f64(700)})`)}
    ${set('n', `(f64.nearest (f64.mul ${get('x')} ${f64(INV_LN2)}))`)}
    ${set('r', `(f64.sub (f64.sub ${get('x')} (f64.mul ${get('n')} ${f64(LN2_HI)})) (f64.mul ${get('n')} ${f64(LN2_LO)}))`)}
    (f64.mul ${horner(EXP_TAYLOR.map(f64), get('r'), 'f64.mul', 'f64.add')}
      (f64.reinterpret_i64 (i64.shl (i64.add (i64.trunc_f64_s ${get('n')}) (i64.const 1023)) (i64.const 52)))))
  (func $log1p64 (param $y f64) (result f64)
    (local $s f64) (local $s2 f64)
    ${set('s', `(f64.div ${get('y')} (f64.add ${f64(2)} ${get('y')}))`)}
    ${set('s2', `(f64.mul ${get('s')} ${get('s')})`)}
    (f64.mul (f64.mul ${f64(2)} ${get('s')})
      ${horner(ATANH_SERIES.map(f64), get('s2'), 'f64.mul', 'f64.add')}))
  (func $sigmoid64 (param $x f64) (result f64)
    (f64.div ${f64(1)} (f64.add ${f64(1)} (call $exp64 (f64.neg ${get('x')})))))
  (func $bce64 (param $x f64) (param $y f64) (result f64)
    ;; max(x, 0) − x·y + log1p(e^−|x|): finite however far D saturates (trainer/core/losses.ts)
    (f64.add (f64.sub (f64.max ${get('x')} ${f64(0)}) (f64.mul ${get('x')} ${get('y')}))
      (call $log1p64 (call $exp64 (f64.neg (f64.abs ${get('x')}))))))`
}
