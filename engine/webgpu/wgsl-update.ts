/**
 * @module engine/webgpu/wgsl-update
 * WGSL of the fused step's update bookkeeping: the two BCE loss heads and one Adam (+ weight
 * average) kernel over a packed buffer. They also keep the step's counters on the device, so
 * nothing is uploaded per step:
 *
 * `ctl` (u32): `[step, k, tD, tG]` — the GAN step, the index of the D update within it, and the
 * Adam step counts of D and G. The D loss head (one workgroup, after every kernel that reads k)
 * writes update k's losses, then advances k and tD; the G loss head advances tG, adds the step's
 * losses (D figures averaged over its D updates) to `sums` `[dLoss, dAcc, gLoss]`, and starts the
 * next step (step + 1, k = 0). Adam reads its t after that and computes the bias corrections
 * itself (see `adam`).
 */
import { declare, f32, LINE, type KernelSource } from './wgsl'

/** WGSL for the BCE of logit `x` against target `y` and log1p without cancellation. */
const BCE = `
fn log1p(e : f32) -> f32 {
  let u = 1.0 + e;
  if (u == 1.0) { return e; }
  return log(u) * e / (u - 1.0);
}
fn bce(x : f32, y : f32) -> f32 { return max(x, 0.0) - x * y + log1p(exp(-abs(x))); }
fn sigmoid(x : f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }`

function reduceTail(sums: string[]): string {
  return `
  workgroupBarrier();
  for (var w = ${LINE / 2}u; w > 0u; w = w >> 1u) {
    if (l < w) { ${sums.map((v) => `${v}[l] = ${v}[l] + ${v}[l + w];`).join(' ')} }
    workgroupBarrier();
  }`
}

/**
 * The discriminator's BCE head on `2·half` logits (reals first): the loss
 * `(mean BCE(real, 1 − smoothing) + mean BCE(fake, 0)) / 2`, the accuracy (as
 * trainer/core/losses.ts: logit > 0 counts as "real") and the gradient at each logit,
 * `(sigmoid(x) − target) / (2·half)`. One workgroup; loss and accuracy go to `loss[2k]`,
 * `loss[2k + 1]`, then k and tD advance.
 */
export function discriminatorLoss(half: number, smoothing: number): KernelSource {
  const buffers = ['dlogit', 'dgrad', 'loss', 'ctl']
  const code = `${declare(buffers)}
const H = ${half}u;
var<workgroup> lr : array<f32, ${LINE}>;
var<workgroup> lf : array<f32, ${LINE}>;
var<workgroup> ar : array<f32, ${LINE}>;
var<workgroup> af : array<f32, ${LINE}>;
${BCE}
@compute @workgroup_size(${LINE})
fn main(@builtin(local_invocation_id) lid : vec3u) {
  let l = lid.x;
  let tgt = ${f32(1 - smoothing)};
  var sr = 0.0; var sf = 0.0; var cr = 0.0; var cf = 0.0;
  for (var r = l; r < H; r = r + ${LINE}u) {
    let x = dlogit[r];
    sr = sr + bce(x, tgt);
    cr = cr + select(0.0, 1.0, x > 0.0);
    dgrad[r] = 0.5 * (sigmoid(x) - tgt) / f32(H);
    let z = dlogit[H + r];
    sf = sf + bce(z, 0.0);
    cf = cf + select(0.0, 1.0, z > 0.0);
    dgrad[H + r] = 0.5 * sigmoid(z) / f32(H);
  }
  lr[l] = sr; lf[l] = sf; ar[l] = cr; af[l] = cf;
  ${reduceTail(['lr', 'lf', 'ar', 'af'])}
  if (l == 0u) {
    let k = ctl[1];
    loss[2u * k] = (lr[0] / f32(H) + lf[0] / f32(H)) * 0.5;
    loss[2u * k + 1u] = (ar[0] / f32(H) + (1.0 - af[0] / f32(H))) * 0.5;
    ctl[1] = k + 1u;
    ctl[2] = ctl[2] + 1u;
  }
}`
  return { label: 'd.loss', code, buffers, grid: [1, 1] }
}

/**
 * The generator's non-saturating BCE head on `rows` logits: loss `mean BCE(x, 1)` into
 * `loss[2·dSteps]` and the gradient `(sigmoid(x) − 1) / rows` at each logit; then the step's
 * bookkeeping (module doc): tG + 1, the step's losses into `sums`, step + 1, k = 0.
 */
export function generatorLoss(rows: number, dSteps: number): KernelSource {
  const buffers = ['dlogit', 'dgrad', 'loss', 'ctl', 'sums']
  const code = `${declare(buffers)}
const R = ${rows}u;
const DS = ${dSteps}u;
var<workgroup> ls : array<f32, ${LINE}>;
${BCE}
@compute @workgroup_size(${LINE})
fn main(@builtin(local_invocation_id) lid : vec3u) {
  let l = lid.x;
  var s = 0.0;
  for (var r = l; r < R; r = r + ${LINE}u) {
    let x = dlogit[r];
    s = s + bce(x, 1.0);
    dgrad[r] = (sigmoid(x) - 1.0) / f32(R);
  }
  ls[l] = s;
  ${reduceTail(['ls'])}
  if (l == 0u) {
    let g = ls[0] / f32(R);
    loss[2u * DS] = g;
    var d = 0.0;
    var a = 0.0;
    for (var k = 0u; k < DS; k = k + 1u) {
      d = d + loss[2u * k] / f32(DS);
      a = a + loss[2u * k + 1u] / f32(DS);
    }
    sums[0] = sums[0] + d;
    sums[1] = sums[1] + a;
    sums[2] = sums[2] + g;
    ctl[3] = ctl[3] + 1u;
    ctl[0] = ctl[0] + 1u;
    ctl[1] = 0u;
  }
}`
  return { label: 'g.loss', code, buffers, grid: [1, 1] }
}

/** One network's packed buffers and its Adam hyperparameters. */
export interface AdamPlace {
  label: string
  count: number
  params: string
  m: string
  v: string
  grads: string
  /** Index of this optimizer's step count t in `ctl` (2: D, 3: G). */
  counter: number
  lr: number
  beta1: number
  beta2: number
  epsilon: number
  /** The weight average's buffer and decay, when there is one (trainer/core/ema.ts). */
  average?: { buffer: string; decay: number }
}

/**
 * `1 − β^t` in float32 without cancellation: `−expm1(t · ln β)`, with expm1 by Kahan's
 * `(u − 1) · x / log(u)` (exact to a few ulps where `exp(x) − 1` would lose all digits at t = 1).
 */
function biasCorrection(beta: number, t: string): string {
  if (beta === 0) return '1.0'
  return `(-expm1(${t} * ${f32(Math.log(beta))}))`
}

const EXPM1 = `
fn expm1(x : f32) -> f32 {
  let u = exp(x);
  if (u == 1.0) { return x; }
  let d = u - 1.0;
  if (d == -1.0) { return -1.0; }
  return d * x / log(u);
}`

/**
 * Adam over every parameter of a network at once, the formula of trainer/core/adam.ts (and its
 * webgpu kernels, operation for operation), with the bias corrections `lr / (1 − β1^t)` and
 * `1 − β2^t` computed from the device's step count (tfjs computes them in float64 on the host:
 * the difference is float32 rounding); with a weight average, `avg ← d·avg + (1 − d)·θ` right
 * after, as trainer/core/ema.ts does after each generator update.
 */
export function adam(p: AdamPlace): KernelSource {
  const buffers = [p.params, p.m, p.v, p.grads, 'ctl', ...(p.average ? [p.average.buffer] : [])]
  const wide = Math.ceil(p.count / LINE)
  const columns = Math.min(wide, 32768)
  const a = p.average
  const avg = a
    ? `${a.buffer}[i] = ${a.buffer}[i] * ${f32(a.decay)} + x * ${f32(1 - a.decay)};`
    : ''
  const code = `${declare(buffers)}
${EXPM1}
@compute @workgroup_size(${LINE})
fn main(@builtin(workgroup_id) wg : vec3u, @builtin(local_invocation_id) lid : vec3u) {
  let i = (wg.y * ${columns}u + wg.x) * ${LINE}u + lid.x;
  if (i >= ${p.count}u) { return; }
  let t = f32(ctl[${p.counter}]);
  let stepSize = ${f32(p.lr)} / ${biasCorrection(p.beta1, 't')};
  let c2 = ${biasCorrection(p.beta2, 't')};
  let g = ${p.grads}[i];
  let m = ${p.m}[i] * ${f32(p.beta1)} + g * ${f32(1 - p.beta1)};
  let v = ${p.v}[i] * ${f32(p.beta2)} + (g * g) * ${f32(1 - p.beta2)};
  ${p.m}[i] = m;
  ${p.v}[i] = v;
  let denom = sqrt(v / c2) + ${f32(p.epsilon)};
  let x = ${p.params}[i] - m * stepSize / denom;
  ${p.params}[i] = x;
  ${avg}
}`
  return { label: p.label, code, buffers, grid: [columns, Math.ceil(wide / columns)] }
}
