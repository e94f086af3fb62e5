/**
 * @module shared/forward
 * The generator's inference-mode forward pass: what the edge worker, the Node CLIs and the browser
 * demo run (no tfjs), deterministic to the bit across JS engines and across its two dense engines.
 *
 * Compilation (`createGenerator`, once per model):
 * - BatchNorm after a Dense (dropout in between is the identity) is folded into it:
 *   `s = gamma / sqrt(var + eps)`, `W'[:, j] = W[:, j]·s_j`, `b'_j = (b_j − mean_j)·s_j + beta_j`,
 *   computed in float64 and stored as float32 — the same function up to float32 rounding. A
 *   BatchNorm elsewhere becomes a per-feature scale and shift.
 * - Kernels are stored transposed in blocks of 16 units, `[ceil(units / 16)][inputs][16]` (the
 *   last block zero-padded): the layout of the WebAssembly kernel (shared/kernel.wat).
 * Evaluation (`run`, per latent), all in float32: each dense output is
 * `((0 + w_0·x_0) + w_1·x_1) + … + w_{n−1}·x_{n−1}`, summed in input order with every product and
 * sum rounded to float32, then `+ bias`; each layer's output is stored as float32 and its
 * activation applied in JS (tanh and sigmoid via `shared/detmath`, never Math.*).
 * The dense layers run on the SIMD kernel when the caller passes its compiled module
 * (`options.kernel`), else in JS, which emulates the kernel's float32 arithmetic with Math.fround
 * after every operation: the two give identical bits (JS may not fuse or reorder float operations,
 * and the kernel uses no FMA or relaxed SIMD), so the same seed makes the same image everywhere.
 */
import { detSigmoid, detTanh } from './detmath'
import { createKernelRunner, KERNEL_BLOCK, type KernelModule } from './kernel'
import type { Activation, LayerSpec } from './spec'
import { WeightFormatError, type DecodedWeights } from './weights'

/**
 * A compiled generator: latent (and, when conditional, a class label) in, image values in
 * [-1, 1] out (for a tanh output layer).
 */
export interface Generator {
  latentDim: number
  /** Classes it is conditioned on (a `condition` layer); 0 for an unconditional generator. */
  classes: number
  /** Values per image, e.g. 784 for 28×28×1. */
  outputSize: number
  /**
   * One forward pass. Returns a new array each call.
   * @param label the class, an integer in `[0, classes)`; required exactly when `classes > 0`.
   * @throws RangeError if `z.length !== latentDim` or `label` does not fit `classes`.
   */
  run(z: Float32Array, label?: number): Float32Array
}

/** A dense layer (BatchNorm folded in) with its activation fused. */
interface DenseOp {
  kind: 'dense'
  inputs: number
  units: number
  /** `ceil(units / 16)`. */
  blocks: number
  /** `[blocks][inputs][16]`: 16 units interleaved per input, zero-padded. */
  weights: Float32Array
  /** Zero-padded to `blocks · 16`. */
  bias: Float32Array
  fn: Activation
  alpha: number
}

/** A standalone BatchNorm: `x·scale + shift` per feature. */
interface AffineOp {
  kind: 'affine'
  scale: Float32Array
  shift: Float32Array
  fn: Activation
  alpha: number
}

interface ActivationOp {
  kind: 'activation'
  fn: Activation
  alpha: number
}

/** Appends `onehot(label)` (`classes` values) after the current features. */
interface ConditionOp {
  kind: 'condition'
  classes: number
}

type Op = DenseOp | AffineOp | ActivationOp | ConditionOp

function tensor(weights: DecodedWeights, name: string, size: number): Float32Array {
  const t = weights.tensors.get(name)
  if (t === undefined || t.length !== size) {
    const got = t === undefined ? 'none' : `${t.length} values`
    throw new WeightFormatError(`Expected tensor ${name} with ${size} values, but got ${got}.`)
  }
  return t
}

/** Index of the next layer from `i` on that is not dropout (the identity at inference). */
function skipDropout(layers: LayerSpec[], i: number): number {
  while (i < layers.length && layers[i].kind === 'dropout') i++
  return i
}

/** `gamma / sqrt(var + eps)` and `beta − mean·scale` of a BatchNorm, in float64. */
function batchNormAffine(weights: DecodedWeights, name: string, n: number, eps: number) {
  const gamma = tensor(weights, `${name}.gamma`, n)
  const beta = tensor(weights, `${name}.beta`, n)
  const mean = tensor(weights, `${name}.movingMean`, n)
  const variance = tensor(weights, `${name}.movingVariance`, n)
  const scale = new Float64Array(n)
  const shift = new Float64Array(n)
  for (let j = 0; j < n; j++) {
    scale[j] = gamma[j] / Math.sqrt(variance[j] + eps)
    shift[j] = beta[j] - mean[j] * scale[j]
  }
  return { scale, shift, mean, beta }
}

/** Turn the generator's layer list into fused ops (see the module doc). */
function compile(weights: DecodedWeights): Op[] {
  const layers = weights.manifest.model.generator.layers
  const ops: Op[] = []
  let i = 0
  while (i < layers.length) {
    const layer = layers[i]
    if (layer.kind === 'dropout') {
      i++
    } else if (layer.kind === 'condition') {
      ops.push({ kind: 'condition', classes: layer.classes })
      i++
    } else if (layer.kind === 'activation') {
      const last = ops[ops.length - 1]
      const fusable = last !== undefined && (last.kind === 'dense' || last.kind === 'affine')
      if (fusable && last.fn === 'linear') {
        last.fn = layer.fn // fuse into the preceding dense or affine op
        last.alpha = layer.alpha ?? 0
      } else {
        ops.push({ kind: 'activation', fn: layer.fn, alpha: layer.alpha ?? 0 })
      }
      i++
    } else if (layer.kind === 'batchNorm') {
      const bn = batchNormAffine(weights, layer.name, layer.features, layer.epsilon)
      const scale = Float32Array.from(bn.scale)
      const shift = Float32Array.from(bn.shift)
      ops.push({ kind: 'affine', scale, shift, fn: 'linear', alpha: 0 })
      i++
    } else {
      const { inputs, units } = layer
      const kernel = tensor(weights, `${layer.name}.kernel`, inputs * units) // [inputs, units]
      const bias = tensor(weights, `${layer.name}.bias`, units)
      const blocks = Math.ceil(units / KERNEL_BLOCK)
      const blocked = new Float32Array(blocks * inputs * KERNEL_BLOCK) // [blocks, inputs, 16]
      const foldedBias = new Float32Array(blocks * KERNEL_BLOCK)
      const at = (j: number, k: number) => ((j >> 4) * inputs + k) * KERNEL_BLOCK + (j & 15)
      const next = skipDropout(layers, i + 1)
      const bnLayer = layers[next]
      if (bnLayer !== undefined && bnLayer.kind === 'batchNorm') {
        const bn = batchNormAffine(weights, bnLayer.name, bnLayer.features, bnLayer.epsilon)
        for (let j = 0; j < units; j++) {
          const s = bn.scale[j]
          for (let k = 0; k < inputs; k++) blocked[at(j, k)] = kernel[k * units + j] * s
          foldedBias[j] = (bias[j] - bn.mean[j]) * s + bn.beta[j]
        }
        i = next + 1
      } else {
        for (let j = 0; j < units; j++) {
          for (let k = 0; k < inputs; k++) blocked[at(j, k)] = kernel[k * units + j]
        }
        foldedBias.set(bias)
        i++
      }
      ops.push({
        kind: 'dense',
        inputs,
        units,
        blocks,
        weights: blocked,
        bias: foldedBias,
        fn: 'linear',
        alpha: 0,
      })
    }
  }
  return ops
}

/** `Math.fround`, named for the float32 operation each call stands for. */
const f32 = Math.fround

/**
 * y = W·x + b in JS, bit-identical to the kernel's `dense` (see shared/kernel.wat): 16 running
 * float32 sums per block, each product and sum rounded by `f32`. A sum of two float32 values
 * computed in float64 and then rounded is the correctly rounded float32 sum (53 ≥ 2·24 + 2), and
 * the product of two is exact in float64, so this is IEEE float32 arithmetic. Writes the padding
 * outputs too (they stay 0).
 */
function denseJs(op: DenseOp, x: Float32Array, y: Float32Array): void {
  const { inputs: n, blocks, weights: w, bias: b } = op
  for (let j = 0, o = 0; j < blocks * 16; j += 16) {
    // prettier-ignore
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0
    // prettier-ignore
    let a8 = 0, a9 = 0, a10 = 0, a11 = 0, a12 = 0, a13 = 0, a14 = 0, a15 = 0
    for (let i = 0; i < n; i++, o += 16) {
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
    // Float32Array stores round: each is the float32 sum `a + b`.
    y[j] = a0 + b[j]
    y[j + 1] = a1 + b[j + 1]
    y[j + 2] = a2 + b[j + 2]
    y[j + 3] = a3 + b[j + 3]
    y[j + 4] = a4 + b[j + 4]
    y[j + 5] = a5 + b[j + 5]
    y[j + 6] = a6 + b[j + 6]
    y[j + 7] = a7 + b[j + 7]
    y[j + 8] = a8 + b[j + 8]
    y[j + 9] = a9 + b[j + 9]
    y[j + 10] = a10 + b[j + 10]
    y[j + 11] = a11 + b[j + 11]
    y[j + 12] = a12 + b[j + 12]
    y[j + 13] = a13 + b[j + 13]
    y[j + 14] = a14 + b[j + 14]
    y[j + 15] = a15 + b[j + 15]
  }
}

/**
 * Applies an activation in place to `y[0..n)`, float32 in and out: the same JS code after either
 * dense engine. Each result is computed in float64 and rounded once by the store.
 */
function activate(fn: Activation, alpha: number, y: Float32Array, n: number): void {
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

/** Options for {@link createGenerator}. */
export interface GeneratorOptions {
  /**
   * The compiled WebAssembly kernel (a `WebAssembly.Module` of shared/kernel.wasm) to run the
   * dense layers on; without it they run in JS, with bit-identical results, about 6× slower.
   */
  kernel?: KernelModule
}

/**
 * Compile decoded weights into a generator (folds BatchNorm, transposes kernels), its dense
 * layers on the WebAssembly kernel when `options.kernel` is given, else in JS (same bits).
 *
 * @throws WeightFormatError if a tensor the spec needs is missing or mis-sized.
 * @throws KernelError if `options.kernel` is not the module of shared/kernel.wasm.
 * @example
 * const generator = createGenerator(decodeWeights(manifest, payload), { kernel: loadKernel() })
 * const image = generator.run(sampleLatent(42, generator.latentDim)) // Float32Array(784)
 */
export function createGenerator(
  weights: DecodedWeights,
  options: GeneratorOptions = {},
): Generator {
  const net = weights.manifest.model.generator
  const ops = compile(weights)
  const latentDim = net.inputs
  // Features after each op, and the widest (padded) layer: the size of the two ping-pong buffers.
  let size = latentDim
  let width = latentDim
  let classes = 0
  const sizes = ops.map((op) => {
    if (op.kind === 'dense') {
      size = op.units
      width = Math.max(width, op.blocks * KERNEL_BLOCK)
    } else if (op.kind === 'condition') {
      classes = op.classes
      size += op.classes
      width = Math.max(width, size)
    }
    return size
  })
  const outputSize = size
  const denseOps = ops.filter((op): op is DenseOp => op.kind === 'dense')
  let buffers: [Float32Array, Float32Array]
  let dense: (layer: number, from: 0 | 1) => void
  if (options.kernel !== undefined) {
    const runner = createKernelRunner(options.kernel, denseOps, width)
    buffers = runner.buffers
    dense = runner.dense
  } else {
    const js: [Float32Array, Float32Array] = [new Float32Array(width), new Float32Array(width)]
    buffers = js
    dense = (layer, from) => denseJs(denseOps[layer], js[from], js[1 - from])
  }
  return {
    latentDim,
    classes,
    outputSize,
    run(z: Float32Array, label?: number): Float32Array {
      if (z.length !== latentDim) {
        throw new RangeError(`Expected a latent of ${latentDim} values, but got ${z.length}.`)
      }
      if (classes === 0 ? label !== undefined : !isLabel(label, classes)) {
        const want = classes === 0 ? 'no label (unconditional generator)' : `a label in 0..${classes - 1}`
        throw new RangeError(`Expected ${want}, but got ${label}.`)
      }
      let from: 0 | 1 = 0
      let layer = 0
      buffers[0].set(z)
      for (let k = 0; k < ops.length; k++) {
        const op = ops[k]
        if (op.kind === 'dense') {
          dense(layer++, from) // reads buffers[from], writes the other
          from = from === 0 ? 1 : 0
        }
        const y = buffers[from]
        if (op.kind === 'condition') {
          const at = sizes[k] - op.classes
          y.fill(0, at, sizes[k])
          y[at + label!] = 1
          continue
        }
        if (op.kind === 'affine') {
          // float32 `x·scale + shift`: the product rounded, the sum rounded by the store
          for (let j = 0; j < sizes[k]; j++) y[j] = f32(y[j] * op.scale[j]) + op.shift[j]
        }
        activate(op.fn, op.alpha, y, sizes[k])
      }
      return buffers[from].slice(0, outputSize)
    },
  }
}

function isLabel(label: number | undefined, classes: number): boolean {
  return Number.isInteger(label) && label! >= 0 && label! < classes
}

/**
 * Image values in [-1, 1] to 8-bit grey: `round((x + 1)·127.5)` clamped to 0..255 (NaN → 0).
 *
 * @example
 * toGray(new Float32Array([-1, 0, 1])) // Uint8Array [0, 128, 255]
 */
export function toGray(x: Float32Array): Uint8Array {
  const out = new Uint8Array(x.length)
  for (let i = 0; i < x.length; i++) {
    const v = Math.round((x[i] + 1) * 127.5)
    out[i] = v >= 255 ? 255 : v > 0 ? v : 0
  }
  return out
}
