/**
 * @module engine/webgpu/inputs
 * Where an update's inputs come from, on the device: the real batch gathered from the training
 * set resident in GPU memory, and G's input (latents, then a one-hot class) drawn by
 * engine/webgpu/random.ts — one kernel per update, keyed by the step counters in `ctl`, so a step
 * needs no upload at all.
 *
 * The `batch` buffer (floats), shared with the host-input test mode: real images `[B, IMG]` in
 * [-1, 1], their one-hot labels `[B, C]`, then G's input `[B, latent + C]`. The training set:
 * `images` holds the N images' bytes four to a word (an image starts on a word: IMG is a multiple
 * of 4), `labels` the N label bytes the same way.
 */
import { feistelHalf, RANDOM_WGSL, STREAM } from './random'
import { declare, LINE, type KernelSource } from './wgsl'

/** The shape of `batch` and of the draws that fill it. */
export interface InputLayout {
  batch: number
  image: number
  classes: number
  latent: number
  /** Offsets (floats) in `batch`. */
  realLabels: number
  gInput: number
  size: number
}

/** The `batch` buffer's layout for `batch` rows. */
export function inputLayout(
  batch: number,
  image: number,
  classes: number,
  latent: number,
): InputLayout {
  const realLabels = batch * image
  const gInput = realLabels + batch * classes
  return {
    batch,
    image,
    classes,
    latent,
    realLabels,
    gInput,
    size: gInput + batch * (latent + classes),
  }
}

/** What the input kernels draw from. */
export interface DrawOptions {
  seed: number
  dSteps: number
  /** Images in the resident training set. */
  count: number
}

/** WGSL filling row `r` of G's input: latents from `noise`, a one-hot class from `labels`. */
function generatorInput(l: InputLayout, seed: number, noise: number, labels: number): string {
  const gw = l.latent + l.classes
  const blocks = Math.ceil(l.latent / 4)
  const oneHot =
    l.classes > 0
      ? `if (t < ${l.classes}u) {
    let c = label(philox(vec4u(r, step, k, 0u), vec2u(${seed}u, ${labels}u)).x, ${l.classes}u);
    batch[${l.gInput}u + r * ${gw}u + ${l.latent}u + t] = select(0.0, 1.0, t == c);
  }`
      : ''
  return `
  for (var q = t; q < ${blocks}u; q = q + ${LINE}u) {
    let z = normals4(philox(vec4u(r * ${blocks}u + q, step, k, 0u), vec2u(${seed}u, ${noise}u)));
    for (var i = 0u; i < 4u; i = i + 1u) {
      let c = 4u * q + i;
      if (c < ${l.latent}u) { batch[${l.gInput}u + r * ${gw}u + c] = z[i]; }
    }
  }
  ${oneHot}`
}

/**
 * The D update's inputs, one workgroup per batch row r: real image `perm_e(j·B + r)` of D batch
 * `j = step·dSteps + k` in epoch `e = j / (N / B)` (and its one-hot label), and G's input for
 * the fakes (streams dNoise, dLabels).
 */
export function discriminatorInputs(l: InputLayout, o: DrawOptions): KernelSource {
  if (l.image % 4 !== 0) {
    throw new Error(`Expected images of a multiple of 4 pixels, but got ${l.image}.`)
  }
  const words = l.image / 4
  const perEpoch = Math.floor(o.count / l.batch)
  if (perEpoch < 1) {
    throw new Error(`Expected at least ${l.batch} training images, but got ${o.count}.`)
  }
  const buffers = ['images', 'labels', 'batch', 'ctl']
  const realLabel =
    l.classes > 0
      ? `if (t < ${l.classes}u) {
    let c = (labels[img >> 2u] >> ((img & 3u) * 8u)) & 255u;
    batch[${l.realLabels}u + r * ${l.classes}u + t] = select(0.0, 1.0, t == c);
  }`
      : ''
  const code = `${declare(buffers)}
${RANDOM_WGSL}
@compute @workgroup_size(${LINE})
fn main(@builtin(workgroup_id) wg : vec3u, @builtin(local_invocation_id) lid : vec3u) {
  let r = wg.x;
  let t = lid.x;
  let step = ctl[0];
  let k = ctl[1];
  let j = step * ${o.dSteps}u + k;
  let img = permute((j % ${perEpoch}u) * ${l.batch}u + r, ${o.count}u, ${feistelHalf(o.count)}u, ${o.seed}u, j / ${perEpoch}u);
  for (var w = t; w < ${words}u; w = w + ${LINE}u) {
    let word = images[img * ${words}u + w];
    for (var i = 0u; i < 4u; i = i + 1u) {
      batch[r * ${l.image}u + 4u * w + i] = f32((word >> (8u * i)) & 255u) / 127.5 - 1.0;
    }
  }
  ${realLabel}
  ${generatorInput(l, o.seed, STREAM.dNoise, STREAM.dLabels)}
}`
  return { label: 'd.inputs', code, buffers, grid: [l.batch, 1] }
}

/** The G update's input (streams gNoise, gLabels; k is 0 after the D updates' bookkeeping). */
export function generatorInputs(l: InputLayout, o: DrawOptions): KernelSource {
  const buffers = ['batch', 'ctl']
  const code = `${declare(buffers)}
${RANDOM_WGSL}
@compute @workgroup_size(${LINE})
fn main(@builtin(workgroup_id) wg : vec3u, @builtin(local_invocation_id) lid : vec3u) {
  let r = wg.x;
  let t = lid.x;
  let step = ctl[0];
  let k = 0u;
  ${generatorInput(l, o.seed, STREAM.gNoise, STREAM.gLabels)}
}`
  return { label: 'g.inputs', code, buffers, grid: [l.batch, 1] }
}

/**
 * The training set as the device holds it: images and labels packed four bytes to a word
 * (little-endian, as WGSL's `>> (8 · i)` reads them).
 */
export function packBytes(bytes: Uint8Array): Uint32Array<ArrayBuffer> {
  const out = new Uint32Array(Math.max(1, Math.ceil(bytes.length / 4)))
  new Uint8Array(out.buffer).set(bytes)
  return out
}
