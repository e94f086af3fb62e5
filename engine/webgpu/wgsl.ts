/**
 * @module engine/webgpu/wgsl
 * WGSL sources of the fused WebGPU training step's layers (engine/webgpu/fused-step.ts): one tiled
 * matMul template specialized per use through three accessors, and a per-feature BatchNorm
 * forward and backward. The loss heads and Adam are in engine/webgpu/wgsl-update.ts, the input
 * kernels in engine/webgpu/inputs.ts.
 *
 * Every kernel binds storage buffers by name (`array<f32>`, or `array<u32>` for the names in
 * U32_BUFFERS), and sizes are baked in as constants: each pipeline serves one fixed layer shape,
 * so the per-dispatch host work is setPipeline + setBindGroup + dispatch, with no uniforms to
 * write. Float constants are written as their float32 value with 9 significant digits, which
 * round-trips exactly.
 */

/** A compute kernel: its WGSL, the buffers it binds (in binding order) and its workgroup grid. */
export interface KernelSource {
  label: string
  code: string
  buffers: string[]
  grid: [number, number]
}

/** The matMul output tile (TILE × TILE per workgroup) and the k-slice staged at a time. */
const TILE = 32
/** Threads per tile edge: 8 × 8 invocations, each owning a 4 × 4 block of outputs. */
const THREADS = 8
const PER = TILE / THREADS

/** Invocations per workgroup of the one-dimensional kernels. */
export const LINE = 64

/**
 * Buffers of 32-bit words rather than floats: the step's counters (`ctl`: step, D update index,
 * Adam step counts of D and G) and the resident training set (`images`, `labels`: bytes packed
 * four to a word).
 */
export const U32_BUFFERS = new Set(['ctl', 'images', 'labels'])

/** A float32 WGSL literal of `x` (exact: 9 significant digits round-trip any float32). */
export function f32(x: number): string {
  const v = Math.fround(x)
  if (!Number.isFinite(v)) throw new Error(`Expected a finite shader constant, but got ${x}.`)
  return `${v.toPrecision(9)}f`
}

/** The binding declarations of `buffers`, in order. */
export function declare(buffers: string[]): string {
  return buffers
    .map(
      (b, i) =>
        `@group(0) @binding(${i}) var<storage, read_write> ${b} : array<${U32_BUFFERS.has(b) ? 'u32' : 'f32'}>;`,
    )
    .join('\n')
}

/** A pointwise activation as WGSL expressions: `apply(x)` and its slope from the output `y`. */
export interface Activation {
  apply(x: string): string
  slope(y: string): string
}

/** LeakyReLU: the slope is 1 where the output is positive (the same sign as the input). */
export function leakyRelu(alpha: number): Activation {
  return {
    apply: (x) => `select(${f32(alpha)} * ${x}, ${x}, ${x} > 0.0)`,
    slope: (y) => `select(${f32(alpha)}, 1.0, ${y} > 0.0)`,
  }
}

export const TANH: Activation = {
  apply: (x) => `tanh(${x})`,
  slope: (y) => `(1.0 - ${y} * ${y})`,
}

export const IDENTITY: Activation = { apply: (x) => x, slope: () => '1.0' }

/** What a matMul `out[r, c] = Σ_k A[r, k] · B[k, c]` reads and where it stores. */
export interface MatMulSpec {
  label: string
  m: number
  n: number
  k: number
  buffers: string[]
  /** WGSL body of `fn readA(r : u32, k : u32) -> f32`, called only in bounds. */
  readA: string
  /** WGSL body of `fn readB(k : u32, c : u32) -> f32`, called only in bounds. */
  readB: string
  /** WGSL body of `fn store(r : u32, c : u32, acc : f32)`. */
  store: string
}

/**
 * The tiled matMul: a workgroup computes a 32 × 32 output tile, staging 32 × 32 slices of A and B
 * in workgroup memory; each invocation owns a 4 × 4 block (rows and columns 8 apart, so reads of
 * the staged tiles do not collide) and sums each output over k in order. Register blocking keeps
 * barriers rare: one pair per 512 multiply-adds per invocation. Operands are read through the
 * accessors, so a transposed operand, a virtual concatenation or a ones row (bias gradient) costs
 * nothing extra.
 */
export function matMul(s: MatMulSpec): KernelSource {
  const blocks = Array.from({ length: PER * PER }, (_, n) => [Math.floor(n / PER), n % PER])
  const rows = Array.from({ length: PER }, (_, i) => i)
  const loads = (TILE * TILE) / (THREADS * THREADS)
  const code = `${declare(s.buffers)}
const M = ${s.m}u;
const N = ${s.n}u;
const K = ${s.k}u;
var<workgroup> ta : array<f32, ${TILE * TILE}>;
var<workgroup> tb : array<f32, ${TILE * TILE}>;
fn readA(r : u32, k : u32) -> f32 { ${s.readA} }
fn readB(k : u32, c : u32) -> f32 { ${s.readB} }
fn store(r : u32, c : u32, acc : f32) { ${s.store} }
@compute @workgroup_size(${THREADS}, ${THREADS})
fn main(@builtin(workgroup_id) wg : vec3u, @builtin(local_invocation_id) l : vec3u) {
  let r0 = wg.y * ${TILE}u;
  let c0 = wg.x * ${TILE}u;
  let lin = l.y * ${THREADS}u + l.x;
  ${blocks.map(([i, j]) => `var acc${i}${j} = 0.0;`).join(' ')}
  for (var t = 0u; t < K; t = t + ${TILE}u) {
    for (var i = 0u; i < ${loads}u; i = i + 1u) {
      let e = lin + i * ${THREADS * THREADS}u;
      let hi = e / ${TILE}u;
      let lo = e % ${TILE}u;
      var a = 0.0;
      if (r0 + hi < M && t + lo < K) { a = readA(r0 + hi, t + lo); }
      ta[e] = a;
      var b = 0.0;
      if (t + hi < K && c0 + lo < N) { b = readB(t + hi, c0 + lo); }
      tb[e] = b;
    }
    workgroupBarrier();
    for (var k = 0u; k < ${TILE}u; k = k + 1u) {
      ${rows.map((i) => `let a${i} = ta[(l.y + ${i * THREADS}u) * ${TILE}u + k];`).join(' ')}
      ${rows.map((j) => `let b${j} = tb[k * ${TILE}u + l.x + ${j * THREADS}u];`).join(' ')}
      ${blocks.map(([i, j]) => `acc${i}${j} = acc${i}${j} + a${i} * b${j};`).join(' ')}
    }
    workgroupBarrier();
  }
  ${blocks
    .map(
      ([i, j]) => `{
    let r = r0 + l.y + ${i * THREADS}u;
    let c = c0 + l.x + ${j * THREADS}u;
    if (r < M && c < N) { store(r, c, acc${i}${j}); }
  }`,
    )
    .join('\n  ')}
}`
  return {
    label: s.label,
    code,
    buffers: s.buffers,
    grid: [Math.ceil(s.n / TILE), Math.ceil(s.m / TILE)],
  }
}

/** Where one BatchNorm layer's tensors live (float offsets). */
export interface BatchNormPlace {
  label: string
  rows: number
  features: number
  epsilon: number
  momentum: number
  /** Offsets of gamma and beta in the packed parameters (and of their gradients). */
  gamma: number
  beta: number
  /** Offsets of the batch mean and 1/sqrt(var + ε) in the stats buffer. */
  stats: number
  /** Offsets of the moving mean and variance in the state buffer. */
  movingMean: number
  movingVariance: number
}

/**
 * BatchNorm forward in training mode, fused with the activation after it: one invocation per
 * feature computes the batch mean and biased variance (as `tf.moments`: mean first, then the mean
 * of squared deviations), normalizes its column as trainer/core/models.ts does
 * (`(x − mean) · (γ · rsqrt(var + ε)) + β`) and keeps mean and rsqrt for the backward pass.
 * With `updateMoving` it also applies the Keras momentum update of the moving statistics.
 */
export function batchNormForward(
  p: BatchNormPlace,
  act: Activation,
  input: string,
  output: string,
  updateMoving: boolean,
): KernelSource {
  const buffers = [input, output, 'gp', 'bstat', ...(updateMoving ? ['gs'] : [])]
  const mom = f32(p.momentum)
  const rest = f32(1 - p.momentum)
  const moving = updateMoving
    ? `gs[${p.movingMean}u + f] = gs[${p.movingMean}u + f] * ${mom} + mean * ${rest};
  gs[${p.movingVariance}u + f] = gs[${p.movingVariance}u + f] * ${mom} + variance * ${rest};`
    : ''
  const code = `${declare(buffers)}
const R = ${p.rows}u;
const F = ${p.features}u;
@compute @workgroup_size(${LINE})
fn main(@builtin(global_invocation_id) id : vec3u) {
  let f = id.x;
  if (f >= F) { return; }
  var s = 0.0;
  for (var r = 0u; r < R; r = r + 1u) { s = s + ${input}[r * F + f]; }
  let mean = s / f32(R);
  var q = 0.0;
  for (var r = 0u; r < R; r = r + 1u) {
    let d = ${input}[r * F + f] - mean;
    q = q + d * d;
  }
  let variance = q / f32(R);
  let inv = inverseSqrt(variance + ${f32(p.epsilon)});
  let scale = gp[${p.gamma}u + f] * inv;
  let beta = gp[${p.beta}u + f];
  for (var r = 0u; r < R; r = r + 1u) {
    let y = (${input}[r * F + f] - mean) * scale + beta;
    ${output}[r * F + f] = ${act.apply('y')};
  }
  bstat[${p.stats}u + f] = mean;
  bstat[${p.stats}u + F + f] = inv;
  ${moving}
}`
  return {
    label: `${p.label}.forward${updateMoving ? '+moving' : ''}`,
    code,
    buffers,
    grid: [Math.ceil(p.features / LINE), 1],
  }
}

/**
 * BatchNorm backward from `dy` (the gradient at its output) to `dx` (at its input), with
 * dγ = Σ dy·x̂ and dβ = Σ dy written into the packed gradients:
 * dx = γ·rsqrt(var + ε)·(dy − Σdy/R − x̂·Σ(dy·x̂)/R), the analytic gradient through the batch
 * statistics.
 */
export function batchNormBackward(
  p: BatchNormPlace,
  input: string,
  dy: string,
  dx: string,
): KernelSource {
  const buffers = [input, dy, dx, 'gp', 'bstat', 'gg']
  const code = `${declare(buffers)}
const R = ${p.rows}u;
const F = ${p.features}u;
@compute @workgroup_size(${LINE})
fn main(@builtin(global_invocation_id) id : vec3u) {
  let f = id.x;
  if (f >= F) { return; }
  let mean = bstat[${p.stats}u + f];
  let inv = bstat[${p.stats}u + F + f];
  var sdy = 0.0;
  var sdyx = 0.0;
  for (var r = 0u; r < R; r = r + 1u) {
    let g = ${dy}[r * F + f];
    sdy = sdy + g;
    sdyx = sdyx + g * (${input}[r * F + f] - mean) * inv;
  }
  gg[${p.gamma}u + f] = sdyx;
  gg[${p.beta}u + f] = sdy;
  let k = gp[${p.gamma}u + f] * inv;
  let a = sdy / f32(R);
  let b = sdyx / f32(R);
  for (var r = 0u; r < R; r = r + 1u) {
    let xh = (${input}[r * F + f] - mean) * inv;
    ${dx}[r * F + f] = k * (${dy}[r * F + f] - a - xh * b);
  }
}`
  return { label: `${p.label}.backward`, code, buffers, grid: [Math.ceil(p.features / LINE), 1] }
}
