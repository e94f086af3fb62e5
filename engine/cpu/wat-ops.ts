/**
 * @module engine/cpu/wat-ops
 * The element-wise and per-feature ops of the fused CPU step as WAT: bias gradients (column sums),
 * BatchNorm forward (+ LeakyReLU, + the moving statistics) and backward, the two BCE loss heads,
 * and Adam (+ the weight average) over a network's packed parameters.
 *
 * Same formulas, operation for operation, as the fused WebGPU step (engine/webgpu/wgsl.ts),
 * which follows trainer/core/models.ts, losses.ts, adam.ts and ema.ts. Per-feature sums run over the
 * rows in order, vectorized across 4 features; the split among threads is by features, so no sum
 * is ever divided between threads.
 */
import { COUNTERS } from './ops'
import { claim, decl, f64, get, i32, loadArgs, set, units } from './wat-text'

const zero = '(v128.const i32x4 0 0 0 0)'
const f32x4 = (op: string, a: string, b: string) => `(f32x4.${op} ${a} ${b})`

/** `colSum`: bias gradients, 4 columns per vector; a tail of n % 4 columns summed one by one. */
function colSumOp(): string {
  const { decls, loads } = loadArgs('colSum')
  return `(func $op_col_sum (param $rec i32) (param $t i32) (param $T i32)
    ${decls} (local $from i32) (local $to i32) (local $c i32) (local $r i32) (local $p i32)
    (local $s v128) (local $x f32)
    ${loads}
    ${units(`(i32.shr_u (i32.add ${get('n')} ${i32(3)}) ${i32(2)})`)}
    (block $done (loop $group
      ${claim()}
      (br_if $done (i32.ge_u ${get('from')} ${get('to')}))
      ${set('c', `(i32.shl ${get('from')} ${i32(2)})`)}
      (if (i32.le_u (i32.add ${get('c')} ${i32(4)}) ${get('n')})
        (then
          ${set('s', zero)}
          ${set('p', `(i32.add ${get('y')} (i32.shl ${get('c')} ${i32(2)}))`)}
          ${set('r', get('m'))}
          (loop $rows
            ${set('s', f32x4('add', get('s'), `(v128.load ${get('p')})`))}
            ${set('p', `(i32.add ${get('p')} ${get('ldy')})`)}
            (br_if $rows (local.tee $r (i32.sub ${get('r')} ${i32(1)}))))
          (v128.store (i32.add ${get('out')} (i32.shl ${get('c')} ${i32(2)})) ${get('s')}))
        (else
          (loop $cols
            ${set('x', '(f32.const 0)')}
            ${set('p', `(i32.add ${get('y')} (i32.shl ${get('c')} ${i32(2)}))`)}
            ${set('r', get('m'))}
            (loop $rows
              ${set('x', `(f32.add ${get('x')} (f32.load ${get('p')}))`)}
              ${set('p', `(i32.add ${get('p')} ${get('ldy')})`)}
              (br_if $rows (local.tee $r (i32.sub ${get('r')} ${i32(1)}))))
            (f32.store (i32.add ${get('out')} (i32.shl ${get('c')} ${i32(2)})) ${get('x')})
            (br_if $cols (i32.lt_u (local.tee $c (i32.add ${get('c')} ${i32(1)})) ${get('n')})))))
      (br $group))))`
}

/**
 * A loop over the rows of a 4-feature column starting at `$col`: `body` runs once per row with
 * `$p` at that row's address (rows `$ld` bytes apart), in row order.
 */
function overRows(body: string): string {
  return `${set('p', get('col'))}
      ${set('r', get('rows'))}
      (loop $rows
        ${body}
        ${set('p', `(i32.add ${get('p')} ${get('ld')})`)}
        (br_if $rows (local.tee $r (i32.sub ${get('r')} ${i32(1)}))))`
}

/**
 * `bnForward`: per 4 features, mean then the mean of squared deviations (as `tf.moments`),
 * `y = (z − mean) · (γ · 1/sqrt(var + ε)) + β`, then LeakyReLU into `a`.
 */
function bnForwardOp(): string {
  const { decls, loads } = loadArgs('bnForward')
  const vars = ['s', 'mean', 'variance', 'inv', 'scale', 'shift', 'd', 'y', 'count']
  return `(func $op_bn_forward (param $rec i32) (param $t i32) (param $T i32)
    ${decls} (local $from i32) (local $to i32) (local $f i32) (local $col i32) (local $r i32)
    (local $p i32) (local $out i32) ${decl('v128', vars)}
    ${loads}
    ${set('count', `(f32x4.splat (f32.convert_i32_u ${get('rows')}))`)}
    ${units(`(i32.shr_u ${get('features')} ${i32(2)})`)}
    (block $done (loop $group
      ${claim()}
      (br_if $done (i32.ge_u ${get('from')} ${get('to')}))
      ${set('f', `(i32.shl ${get('from')} ${i32(4)})`)}
      ${set('col', `(i32.add ${get('z')} ${get('f')})`)}
      ${set('s', zero)}
      ${overRows(set('s', f32x4('add', get('s'), `(v128.load ${get('p')})`)))}
      ${set('mean', f32x4('div', get('s'), get('count')))}
      ${set('s', zero)}
      ${overRows(`${set('d', f32x4('sub', `(v128.load ${get('p')})`, get('mean')))}
        ${set('s', f32x4('add', get('s'), f32x4('mul', get('d'), get('d'))))}`)}
      ${set('variance', f32x4('div', get('s'), get('count')))}
      ${set('inv', f32x4('div', `(f32x4.splat (f32.const 1))`, `(f32x4.sqrt ${f32x4('add', get('variance'), `(f32x4.splat ${get('epsilon')})`)})`))}
      ${set('scale', f32x4('mul', `(v128.load (i32.add ${get('gamma')} ${get('f')}))`, get('inv')))}
      ${set('shift', `(v128.load (i32.add ${get('beta')} ${get('f')}))`)}
      ${set('out', `(i32.sub ${get('a')} ${get('z')})`)}
      ${overRows(`${set('y', f32x4('add', f32x4('mul', f32x4('sub', `(v128.load ${get('p')})`, get('mean')), get('scale')), get('shift')))}
        (v128.store (i32.add ${get('p')} ${get('out')}) (f32x4.pmax (f32x4.mul ${get('y')} (f32x4.splat ${get('alpha')})) ${get('y')}))`)}
      (v128.store (i32.add ${get('stats')} ${get('f')}) ${get('mean')})
      (v128.store (i32.add (i32.add ${get('stats')} (i32.shl ${get('features')} ${i32(2)})) ${get('f')}) ${get('inv')})
      (if ${get('movingMean')} (then
        ${set('p', `(i32.add ${get('movingMean')} ${get('f')})`)}
        (v128.store ${get('p')} ${f32x4('add', f32x4('mul', `(v128.load ${get('p')})`, `(f32x4.splat ${get('momentum')})`), f32x4('mul', get('mean'), `(f32x4.splat ${get('rest')})`))})
        ${set('p', `(i32.add ${get('movingVariance')} ${get('f')})`)}
        (v128.store ${get('p')} ${f32x4('add', f32x4('mul', `(v128.load ${get('p')})`, `(f32x4.splat ${get('momentum')})`), f32x4('mul', get('variance'), `(f32x4.splat ${get('rest')})`))})))
      (br $group))))`
}

/**
 * `bnBackward`: dγ = Σ dy·x̂, dβ = Σ dy, and
 * dx = γ·inv·((dy − Σdy/R) − x̂·Σ(dy·x̂)/R), the gradient through the batch statistics.
 */
function bnBackwardOp(): string {
  const { decls, loads } = loadArgs('bnBackward')
  const vars = ['sdy', 'sdyx', 'mean', 'inv', 'k', 'ma', 'mb', 'g', 'xh', 'count']
  return `(func $op_bn_backward (param $rec i32) (param $t i32) (param $T i32)
    ${decls} (local $from i32) (local $to i32) (local $f i32) (local $col i32) (local $r i32)
    (local $p i32) (local $gy i32) (local $gx i32) ${decl('v128', vars)}
    ${loads}
    ${set('count', `(f32x4.splat (f32.convert_i32_u ${get('rows')}))`)}
    ${set('gy', `(i32.sub ${get('dy')} ${get('z')})`)}
    ${set('gx', `(i32.sub ${get('dx')} ${get('z')})`)}
    ${units(`(i32.shr_u ${get('features')} ${i32(2)})`)}
    (block $done (loop $group
      ${claim()}
      (br_if $done (i32.ge_u ${get('from')} ${get('to')}))
      ${set('f', `(i32.shl ${get('from')} ${i32(4)})`)}
      ${set('col', `(i32.add ${get('z')} ${get('f')})`)}
      ${set('mean', `(v128.load (i32.add ${get('stats')} ${get('f')}))`)}
      ${set('inv', `(v128.load (i32.add (i32.add ${get('stats')} (i32.shl ${get('features')} ${i32(2)})) ${get('f')}))`)}
      ${set('sdy', zero)}
      ${set('sdyx', zero)}
      ${overRows(`${set('g', `(v128.load (i32.add ${get('p')} ${get('gy')}))`)}
        ${set('sdy', f32x4('add', get('sdy'), get('g')))}
        ${set('sdyx', f32x4('add', get('sdyx'), f32x4('mul', f32x4('mul', get('g'), f32x4('sub', `(v128.load ${get('p')})`, get('mean'))), get('inv'))))}`)}
      (v128.store (i32.add ${get('dgamma')} ${get('f')}) ${get('sdyx')})
      (v128.store (i32.add ${get('dbeta')} ${get('f')}) ${get('sdy')})
      ${set('k', f32x4('mul', `(v128.load (i32.add ${get('gamma')} ${get('f')}))`, get('inv')))}
      ${set('ma', f32x4('div', get('sdy'), get('count')))}
      ${set('mb', f32x4('div', get('sdyx'), get('count')))}
      ${overRows(`${set('xh', f32x4('mul', f32x4('sub', `(v128.load ${get('p')})`, get('mean')), get('inv')))}
        (v128.store (i32.add ${get('p')} ${get('gx')}) ${f32x4('mul', get('k'), f32x4('sub', f32x4('sub', `(v128.load (i32.add ${get('p')} ${get('gy')}))`, get('ma')), f32x4('mul', get('xh'), get('mb'))))})`)}
      (br $group))))`
}

/**
 * `dLoss`: reals are logits [0, half), fakes [half, 2·half). Loss
 * `(Σ BCE(real, target)/half + Σ BCE(fake, 0)/half) / 2`, accuracy (logit > 0 counts as "real"),
 * gradient `(sigmoid(x) − target) / (2·half)`. One thread; sums in double, in row order.
 */
function dLossOp(): string {
  const { decls, loads } = loadArgs('dLoss')
  return `(func $op_d_loss (param $rec i32) (param $t i32) (param $T i32)
    ${decls} (local $r i32) (local $x f64) (local $y f64) (local $h f64)
    (local $sr f64) (local $sf f64) (local $cr f64) (local $cf f64)
    ;; one unit: the first thread to claim it computes the head
    (if (i32.atomic.rmw.add offset=${COUNTERS} ${get('rec')} ${i32(1)}) (then (return)))
    ${loads}
    ${set('y', `(f64.promote_f32 ${get('target')})`)}
    ${set('h', `(f64.convert_i32_u ${get('half')})`)}
    (loop $rows
      ${set('x', `(f64.promote_f32 (f32.load ${get('logits')}))`)}
      ${set('sr', `(f64.add ${get('sr')} (call $bce64 ${get('x')} ${get('y')}))`)}
      ${set('cr', `(f64.add ${get('cr')} (f64.convert_i32_u (f64.gt ${get('x')} ${f64(0)})))`)}
      (f32.store ${get('grads')} (f32.demote_f64 (f64.div (f64.mul ${f64(0.5)} (f64.sub (call $sigmoid64 ${get('x')}) ${get('y')})) ${get('h')})))
      ${set('x', `(f64.promote_f32 (f32.load (i32.add ${get('logits')} (i32.shl ${get('half')} ${i32(2)}))))`)}
      ${set('sf', `(f64.add ${get('sf')} (call $bce64 ${get('x')} ${f64(0)}))`)}
      ${set('cf', `(f64.add ${get('cf')} (f64.convert_i32_u (f64.gt ${get('x')} ${f64(0)})))`)}
      (f32.store (i32.add ${get('grads')} (i32.shl ${get('half')} ${i32(2)})) (f32.demote_f64 (f64.div (f64.mul ${f64(0.5)} (call $sigmoid64 ${get('x')})) ${get('h')})))
      ${set('logits', `(i32.add ${get('logits')} ${i32(4)})`)}
      ${set('grads', `(i32.add ${get('grads')} ${i32(4)})`)}
      (br_if $rows (i32.lt_u (local.tee $r (i32.add ${get('r')} ${i32(1)})) ${get('half')})))
    (f32.store ${get('out')} (f32.demote_f64 (f64.mul (f64.add (f64.div ${get('sr')} ${get('h')}) (f64.div ${get('sf')} ${get('h')})) ${f64(0.5)})))
    (f32.store offset=4 ${get('out')} (f32.demote_f64 (f64.mul (f64.add (f64.div ${get('cr')} ${get('h')}) (f64.sub ${f64(1)} (f64.div ${get('cf')} ${get('h')}))) ${f64(0.5)}))))`
}

/** `gLoss`: the non-saturating loss `mean BCE(x, 1)` and its gradient `(sigmoid(x) − 1)/rows`. */
function gLossOp(): string {
  const { decls, loads } = loadArgs('gLoss')
  return `(func $op_g_loss (param $rec i32) (param $t i32) (param $T i32)
    ${decls} (local $r i32) (local $x f64) (local $n f64) (local $s f64)
    ;; one unit: the first thread to claim it computes the head
    (if (i32.atomic.rmw.add offset=${COUNTERS} ${get('rec')} ${i32(1)}) (then (return)))
    ${loads}
    ${set('n', `(f64.convert_i32_u ${get('rows')})`)}
    (loop $rows
      ${set('x', `(f64.promote_f32 (f32.load ${get('logits')}))`)}
      ${set('s', `(f64.add ${get('s')} (call $bce64 ${get('x')} ${f64(1)}))`)}
      (f32.store ${get('grads')} (f32.demote_f64 (f64.div (f64.sub (call $sigmoid64 ${get('x')}) ${f64(1)}) ${get('n')})))
      ${set('logits', `(i32.add ${get('logits')} ${i32(4)})`)}
      ${set('grads', `(i32.add ${get('grads')} ${i32(4)})`)}
      (br_if $rows (i32.lt_u (local.tee $r (i32.add ${get('r')} ${i32(1)})) ${get('rows')})))
    (f32.store ${get('out')} (f32.demote_f64 (f64.div ${get('s')} ${get('n')}))))`
}

/**
 * `adam`, trainer/core/adam.ts's formula in float32:
 * `m ← m·β1 + g·(1−β1)`, `v ← v·β2 + g²·(1−β2)`, `θ ← θ − (m·step) / (sqrt(v / c2) + ε)` with
 * `step = lr/(1 − β1^t)`, `c2 = 1 − β2^t`; then `avg ← avg·d + θ·(1 − d)` (trainer/core/ema.ts).
 * `count` is a multiple of 16 (a cache line per unit of the split).
 */
function adamOp(): string {
  const { decls, loads } = loadArgs('adam')
  const vars = ['g', 'vm', 'vv', 'x', 'step', 'c2', 'b1', 'r1', 'b2', 'r2', 'eps', 'd', 'rd']
  const lane = (
    offset: number,
  ) => `${set('g', `(v128.load offset=${offset} (i32.add ${get('grads')} ${get('i')}))`)}
      ${set('vm', f32x4('add', f32x4('mul', `(v128.load offset=${offset} (i32.add ${get('m')} ${get('i')}))`, get('b1')), f32x4('mul', get('g'), get('r1'))))}
      ${set('vv', f32x4('add', f32x4('mul', `(v128.load offset=${offset} (i32.add ${get('v')} ${get('i')}))`, get('b2')), f32x4('mul', f32x4('mul', get('g'), get('g')), get('r2'))))}
      (v128.store offset=${offset} (i32.add ${get('m')} ${get('i')}) ${get('vm')})
      (v128.store offset=${offset} (i32.add ${get('v')} ${get('i')}) ${get('vv')})
      ${set('x', f32x4('sub', `(v128.load offset=${offset} (i32.add ${get('params')} ${get('i')}))`, f32x4('div', f32x4('mul', get('vm'), get('step')), f32x4('add', `(f32x4.sqrt ${f32x4('div', get('vv'), get('c2'))})`, get('eps')))))}
      (v128.store offset=${offset} (i32.add ${get('params')} ${get('i')}) ${get('x')})
      (if ${get('avg')} (then
        (v128.store offset=${offset} (i32.add ${get('avg')} ${get('i')}) ${f32x4('add', f32x4('mul', `(v128.load offset=${offset} (i32.add ${get('avg')} ${get('i')}))`, get('d')), f32x4('mul', get('x'), get('rd')))})))`
  const splatArg = (v: string, a: string) => set(v, `(f32x4.splat ${get(a)})`)
  return `(func $op_adam (param $rec i32) (param $t i32) (param $T i32)
    ${decls} (local $from i32) (local $to i32) (local $i i32) (local $end i32)
    ${decl('v128', vars)}
    ${loads}
    ${set('step', `(f32x4.splat (f32.load ${get('scalars')}))`)}
    ${set('c2', `(f32x4.splat (f32.load offset=4 ${get('scalars')}))`)}
    ${splatArg('b1', 'beta1')} ${splatArg('r1', 'rest1')} ${splatArg('b2', 'beta2')}
    ${splatArg('r2', 'rest2')} ${splatArg('eps', 'epsilon')} ${splatArg('d', 'decay')}
    ${splatArg('rd', 'restDecay')}
    ;; units of 1024 parameters (4 KB of each array)
    ${units(`(i32.shr_u (i32.add ${get('count')} ${i32(1023)}) ${i32(10)})`)}
    (block $done (loop $unit
      ${claim()}
      (br_if $done (i32.ge_u ${get('from')} ${get('to')}))
      ${set('i', `(i32.shl ${get('from')} ${i32(12)})`)}
      ${set('end', `(i32.add ${get('i')} ${i32(4096)})`)}
      ${set('end', `(select ${get('end')} (i32.shl ${get('count')} ${i32(2)}) (i32.lt_u ${get('end')} (i32.shl ${get('count')} ${i32(2)})))`)}
      (loop $chunk
        ${[0, 16, 32, 48].map(lane).join('\n        ')}
        (br_if $chunk (i32.lt_u (local.tee $i (i32.add ${get('i')} ${i32(64)})) ${get('end')})))
      (br $unit))))`
}

/** Every op of this module. */
export function elementOps(): string {
  return [colSumOp(), bnForwardOp(), bnBackwardOp(), dLossOp(), gLossOp(), adamOp()].join('\n  ')
}
