/**
 * @module engine/cpu/wat-latent
 * G's latents drawn inside the module, split by rows among the threads: row r of an update's
 * latents is `sampleLatent(mixSeed(seed, purpose, step, k, r), latentDim)` (shared/latent/latent.ts,
 * shared/latent/seed.ts), bit for bit. The host writes `mixSeed(seed, purpose, step, k)` to a slot; the op
 * mixes in the row, seeds xoshiro128** by splitmix32 (shared/latent/rng.ts) and runs Marsaglia's polar
 * method with `$log64`, a port of fdlibm's `log` (shared/math/detmath.ts's detLog) for the positive
 * normal doubles the method feeds it (s = u² + v² in [2^-62, 1)): the same operations in the same
 * order, so the same bits as the JavaScript it mirrors.
 */
import { claim, decl, f64, get, i32, loadArgs, set, units } from './wat-text'

const LN2_HI = 6.9314718036912381649e-1
const LN2_LO = 1.90821492927058770002e-10
const LG = [
  6.66666666666673513e-1, 3.999999999940941908e-1, 2.857142874366239149e-1, 2.222219843214978396e-1,
  1.818357216161805012e-1, 1.531383769920937332e-1, 1.479819860511658591e-1,
]

/** fdlibm `__ieee754_log` for positive normal x (detLog's path past its special cases). */
function log64(): string {
  const dk = get('dk')
  const lnHi = `(f64.mul ${dk} ${f64(LN2_HI)})`
  const lnLo = `(f64.mul ${dk} ${f64(LN2_LO)})`
  const [lg1, lg2, lg3, lg4, lg5, lg6, lg7] = LG.map(f64)
  const w = get('w')
  return `(func $log64 (param $x f64) (result f64)
    (local $hx i32) (local $k i32) (local $i i32) (local $j i32)
    (local $f f64) (local $dk f64) (local $s f64) (local $z f64) (local $w f64) (local $r f64)
    (local $hfsq f64)
    ${set('hx', `(i32.wrap_i64 (i64.shr_u (i64.reinterpret_f64 ${get('x')}) (i64.const 32)))`)}
    ${set('k', `(i32.sub (i32.shr_s ${get('hx')} ${i32(20)}) ${i32(1023)})`)}
    ${set('hx', `(i32.and ${get('hx')} ${i32(0x000fffff)})`)}
    ${set('i', `(i32.and (i32.add ${get('hx')} ${i32(0x95f64)}) ${i32(0x100000)})`)}
    ;; normalize x into [sqrt(2)/2, sqrt(2)) with exponent 0 or −1
    ${set(
      'x',
      `(f64.reinterpret_i64 (i64.or
        (i64.shl (i64.extend_i32_u (i32.or ${get('hx')} (i32.xor ${get('i')} ${i32(0x3ff00000)}))) (i64.const 32))
        (i64.and (i64.reinterpret_f64 ${get('x')}) (i64.const 0xffffffff))))`,
    )}
    ${set('k', `(i32.add ${get('k')} (i32.shr_s ${get('i')} ${i32(20)}))`)}
    ${set('f', `(f64.sub ${get('x')} ${f64(1)})`)}
    ${set('dk', `(f64.convert_i32_s ${get('k')})`)}
    (if (i32.lt_u (i32.and ${i32(0x000fffff)} (i32.add ${i32(2)} ${get('hx')})) ${i32(3)}) (then
      ;; |f| < 2^-20
      (if (f64.eq ${get('f')} ${f64(0)}) (then
        (return (select ${f64(0)} (f64.add ${lnHi} ${lnLo}) (i32.eqz ${get('k')})))))
      ${set('r', `(f64.mul (f64.mul ${get('f')} ${get('f')}) (f64.sub ${f64(0.5)} (f64.mul ${f64(0.33333333333333333)} ${get('f')})))`)}
      (return (select (f64.sub ${get('f')} ${get('r')})
        (f64.sub ${lnHi} (f64.sub (f64.sub ${get('r')} ${lnLo}) ${get('f')}))
        (i32.eqz ${get('k')})))))
    ${set('s', `(f64.div ${get('f')} (f64.add ${f64(2)} ${get('f')}))`)}
    ${set('z', `(f64.mul ${get('s')} ${get('s')})`)}
    ${set('i', `(i32.sub ${get('hx')} ${i32(0x6147a)})`)}
    ${set('w', `(f64.mul ${get('z')} ${get('z')})`)}
    ${set('j', `(i32.sub ${i32(0x6b851)} ${get('hx')})`)}
    ${set(
      'r',
      `(f64.add
        (f64.mul ${get('z')} (f64.add ${lg1} (f64.mul ${w} (f64.add ${lg3} (f64.mul ${w} (f64.add ${lg5} (f64.mul ${w} ${lg7})))))))
        (f64.mul ${w} (f64.add ${lg2} (f64.mul ${w} (f64.add ${lg4} (f64.mul ${w} ${lg6}))))))`,
    )}
    (if (i32.gt_s (i32.or ${get('i')} ${get('j')}) ${i32(0)}) (then
      ${set('hfsq', `(f64.mul (f64.mul ${f64(0.5)} ${get('f')}) ${get('f')})`)}
      (return (select
        (f64.sub ${get('f')} (f64.sub ${get('hfsq')} (f64.mul ${get('s')} (f64.add ${get('hfsq')} ${get('r')}))))
        (f64.sub ${lnHi} (f64.sub (f64.sub ${get('hfsq')} (f64.add (f64.mul ${get('s')} (f64.add ${get('hfsq')} ${get('r')})) ${lnLo})) ${get('f')}))
        (i32.eqz ${get('k')})))))
    (select
      (f64.sub ${get('f')} (f64.mul ${get('s')} (f64.sub ${get('f')} ${get('r')})))
      (f64.sub ${lnHi} (f64.sub (f64.sub (f64.mul ${get('s')} (f64.sub ${get('f')} ${get('r')})) ${lnLo}) ${get('f')}))
      (i32.eqz ${get('k')})))`
}

/** One round of mixSeed (shared/latent/seed.ts): `mixSeed(…parts, p)` from `mixSeed(…parts)`. */
function mixRound(h: string, p: string): string {
  return `${set(h, `(i32.mul (i32.xor ${get(h)} ${p}) ${i32(0x01000193)})`)}
      ${set(h, `(i32.xor ${get(h)} (i32.shr_u ${get(h)} ${i32(16)}))`)}
      ${set(h, `(i32.mul ${get(h)} ${i32(0x85ebca6b)})`)}
      ${set(h, `(i32.xor ${get(h)} (i32.shr_u ${get(h)} ${i32(13)}))`)}
      ${set(h, `(i32.mul ${get(h)} ${i32(0xc2b2ae35)})`)}
      ${set(h, `(i32.xor ${get(h)} (i32.shr_u ${get(h)} ${i32(16)}))`)}`
}

/** splitmix32's next output (shared/latent/rng.ts), advancing `$z`. */
function splitmix(): string {
  return `(func $splitmix (param $z i32) (result i32)
    (local $t i32)
    ${set('t', `(i32.xor ${get('z')} (i32.shr_u ${get('z')} ${i32(16)}))`)}
    ${set('t', `(i32.mul ${get('t')} ${i32(0x21f0aaad)})`)}
    ${set('t', `(i32.xor ${get('t')} (i32.shr_u ${get('t')} ${i32(15)}))`)}
    ${set('t', `(i32.mul ${get('t')} ${i32(0x735a2d97)})`)}
    (i32.xor ${get('t')} (i32.shr_u ${get('t')} ${i32(15)})))`
}

/** The next xoshiro128** output as a float in [0, 1) (`nextFloat`: uint32 / 2^32, exact). */
const NEXT_FLOAT = `(call $next)`

function nextFunction(): string {
  // State in globals: one row's stream at a time per thread (each thread has its own instance).
  return `(global $s0 (mut i32) (i32.const 0)) (global $s1 (mut i32) (i32.const 0))
  (global $s2 (mut i32) (i32.const 0)) (global $s3 (mut i32) (i32.const 0))
  (func $next (result f64)
    (local $r i32) (local $t i32)
    ${set('r', `(i32.mul (i32.rotl (i32.mul (global.get $s1) ${i32(5)}) ${i32(7)}) ${i32(9)})`)}
    ${set('t', `(i32.shl (global.get $s1) ${i32(9)})`)}
    (global.set $s2 (i32.xor (global.get $s2) (global.get $s0)))
    (global.set $s3 (i32.xor (global.get $s3) (global.get $s1)))
    (global.set $s1 (i32.xor (global.get $s1) (global.get $s2)))
    (global.set $s0 (i32.xor (global.get $s0) (global.get $s3)))
    (global.set $s2 (i32.xor (global.get $s2) ${get('t')}))
    (global.set $s3 (i32.rotl (global.get $s3) ${i32(11)}))
    (f64.div (f64.convert_i32_u ${get('r')}) ${f64(4294967296)}))`
}

/** The `latents` op: the rows this thread claims, `cols` values each, seeded from `seed`. */
function latentsOp(): string {
  const { decls, loads } = loadArgs('latents')
  const uniform = `(f64.sub (f64.mul ${f64(2)} ${NEXT_FLOAT}) ${f64(1)})`
  return `(func $op_latents (param $rec i32) (param $t i32) (param $T i32)
    ${decls} (local $from i32) (local $to i32) (local $h i32) (local $z i32) (local $p i32)
    (local $i i32) ${decl('f64', ['u', 'v', 's', 'm'])}
    ${loads}
    ${units(get('rows'))}
    (block $done (loop $row
      ${claim()}
      (br_if $done (i32.ge_u ${get('from')} ${get('to')}))
      ${set('h', `(i32.load ${get('seed')})`)}
      ${mixRound('h', get('from'))}
      ;; splitmix32 from the row's seed: four outputs are the xoshiro state
      ${set('z', get('h'))}
      ${['$s0', '$s1', '$s2', '$s3']
        .map(
          (s) => `${set('z', `(i32.add ${get('z')} ${i32(0x9e3779b9)})`)}
      (global.set ${s} (call $splitmix ${get('z')}))`,
        )
        .join('\n      ')}
      ${set('p', `(i32.add ${get('out')} (i32.mul ${get('from')} ${get('ld')}))`)}
      ${set('i', i32(0))}
      (block $filled (loop $pair
        (br_if $filled (i32.ge_u ${get('i')} ${get('cols')}))
        ${set('u', uniform)}
        ${set('v', uniform)}
        ${set('s', `(f64.add (f64.mul ${get('u')} ${get('u')}) (f64.mul ${get('v')} ${get('v')}))`)}
        (br_if $pair (i32.or (f64.ge ${get('s')} ${f64(1)}) (f64.eq ${get('s')} ${f64(0)})))
        ${set('m', `(f64.sqrt (f64.div (f64.mul ${f64(-2)} (call $log64 ${get('s')})) ${get('s')}))`)}
        (f32.store ${get('p')} (f32.demote_f64 (f64.mul ${get('u')} ${get('m')})))
        (if (i32.lt_u (i32.add ${get('i')} ${i32(1)}) ${get('cols')}) (then
          (f32.store offset=4 ${get('p')} (f32.demote_f64 (f64.mul ${get('v')} ${get('m')})))))
        ${set('p', `(i32.add ${get('p')} ${i32(8)})`)}
        ${set('i', `(i32.add ${get('i')} ${i32(2)})`)}
        (br $pair)))
      (br $row))))`
}

/** The latents op and its helpers. */
export function latentOps(): string {
  return [log64(), splitmix(), nextFunction(), latentsOp()].join('\n  ')
}
