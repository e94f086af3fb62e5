/**
 * @module shared/inference/compile
 * Turns a generator's layer list and decoded tensors into the ops `shared/inference/forward` runs: BatchNorm
 * folded into the dense or conv layer before it, kernels re-laid out in blocks of 16 output units
 * (the WebAssembly kernel's layout, shared/inference/kernel.wat), activations fused into the op before them.
 *
 * - BatchNorm after a dense layer (dropout and reshape in between are no-ops at inference) or
 *   after a conv on its map is folded: `s = gamma / sqrt(var + eps)`, `W'[…, j] = W[…, j]·s_j`,
 *   `b'_j = (b_j − mean_j)·s_j + beta_j`, computed in float64 and stored as float32. Output unit
 *   `j` of a dense layer reshaped to a map has channel `j mod channels`. Any other BatchNorm
 *   becomes a per-feature (per-channel on a map) scale and shift.
 * - Dense kernels `[inputs, units]` become `[ceil(units / 16)][inputs][16]`; conv kernels
 *   `[k, k, in, filters]` become `[ceil(filters / 16)][k][k][in][16]`; both zero-padded, with the
 *   bias zero-padded to whole blocks.
 * - `reshape`, `flatten` and dropout produce no op: a map is stored row-major (h, w, c), the same
 *   floats as its flat vector.
 */
import { KERNEL_BLOCK, type DenseWeights, type KernelConv } from './kernel'
import { convGeometry, featureShapes, type Activation, type LayerSpec } from '../model/spec'
import type { IntegerTensor } from '../model/f16'
import { WeightFormatError, type DecodedWeights } from '../model/weights'

/**
 * A dense layer (BatchNorm folded in) with its activation fused. `weights` is
 * `[blocks][inputs][16]`: 16 units interleaved per input, zero-padded; `steps` and `bias` are
 * zero-padded to `blocks · 16`.
 * A quantized kernel keeps its stored integers; unit j's step is the stored step times the folded
 * BatchNorm scale, rounded once to float32.
 */
export type DenseOp = DenseWeights & {
  kind: 'dense'
  inputs: number
  units: number
  /** `ceil(units / 16)`. */
  blocks: number
  bias: Float32Array
  fn: Activation
  alpha: number
}

/**
 * A `same`-padded convolution of an `[height, width, channels]` map (BatchNorm folded in): the
 * kernel's layout (`KernelConv`: `[blocks][k][k][channels][16]` weights, zero-padded bias) and
 * the activation applied after it.
 */
export interface ConvOp extends KernelConv {
  fn: Activation
  alpha: number
}

/** A standalone BatchNorm: `x·scale + shift`, feature `j` using entry `j mod scale.length`. */
export interface AffineOp {
  kind: 'affine'
  scale: Float32Array
  shift: Float32Array
  fn: Activation
  alpha: number
}

export interface ActivationOp {
  kind: 'activation'
  fn: Activation
  alpha: number
}

/** Appends `onehot(label)` (`classes` values) after the current features. */
export interface ConditionOp {
  kind: 'condition'
  classes: number
}

/** Nearest-neighbour 2× upsampling of an `[height, width, channels]` map. */
export interface UpsampleOp {
  kind: 'upsample'
  height: number
  width: number
  channels: number
}

export type Op = DenseOp | ConvOp | AffineOp | ActivationOp | ConditionOp | UpsampleOp

/** An op and the number of features it leaves in the buffer. */
export interface CompiledOp {
  op: Op
  size: number
}

type MapShape = readonly [number, number, number]

function tensor(weights: DecodedWeights, name: string, size: number): Float32Array {
  const t = weights.tensors.get(name)
  if (t === undefined || t.length !== size) {
    const got = t === undefined ? 'none' : `${t.length} values`
    throw new WeightFormatError(`Expected tensor ${name} with ${size} values, but got ${got}.`)
  }
  return t
}

/** Index of the next layer from `i` on whose kind is not in `skip` (identities at inference). */
function skipIdentities(layers: LayerSpec[], i: number, skip: readonly string[]): number {
  while (i < layers.length && skip.includes(layers[i].kind)) i++
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

/**
 * Block a kernel whose `units` outputs are its fastest axis (`[rows, units]` row-major, `rows` =
 * inputs, or k·k·in for a conv) into `[ceil(units / 16)][rows][16]`, scaling unit `j` by
 * `fold.scale[j mod n]` and folding the BatchNorm into the bias when `fold` is given.
 */
function blockKernel(
  kernel: Float32Array,
  bias: Float32Array,
  rows: number,
  units: number,
  fold?: ReturnType<typeof batchNormAffine>,
) {
  const n = fold?.scale.length ?? 1
  const scale = (j: number) => (fold ? fold.scale[j % n] : 1)
  const blocked = new Float32Array(blockedLength(rows, units))
  const weights = blockValues(kernel, blocked, rows, units, scale)
  return { blocks: Math.ceil(units / KERNEL_BLOCK), weights, bias: foldBias(bias, units, fold) }
}

/**
 * A plain dense layer (no BatchNorm folded, no activation) as the kernel and `denseJs` run it:
 * what a training-mode forward pass (BatchNorm on batch statistics in between) needs.
 * @example const op = denseOp(kernel, bias, 256, 512) // op.blocks === 32
 */
export function denseOp(
  kernel: Float32Array,
  bias: Float32Array,
  inputs: number,
  units: number,
): DenseOp {
  return {
    kind: 'dense',
    inputs,
    units,
    fn: 'linear',
    alpha: 0,
    ...blockKernel(kernel, bias, inputs, units),
  }
}

/**
 * `blockKernel` for the stored integers of a quantized dense kernel: the integers are blocked
 * unchanged and unit `j`'s step becomes `fround(scales[j]·fold.scale[j mod n])`, so the folded
 * layer computes `(Σ_i q_ij·x_i)·step_j + b'_j`.
 */
function blockIntegers(
  kernel: IntegerTensor,
  bias: Float32Array,
  rows: number,
  units: number,
  fold?: ReturnType<typeof batchNormAffine>,
): DenseWeights & { blocks: number; bias: Float32Array } {
  const blocks = Math.ceil(units / KERNEL_BLOCK)
  const steps = new Float32Array(blocks * KERNEL_BLOCK)
  const weights = blockValues(kernel.values, new Int16Array(steps.length * rows), rows, units)
  const n = fold?.scale.length ?? 1
  for (let j = 0; j < units; j++) steps[j] = kernel.scales[j] * (fold ? fold.scale[j % n] : 1)
  return { blocks, weights, steps, bias: foldBias(bias, units, fold) }
}

function blockedLength(rows: number, units: number): number {
  return Math.ceil(units / KERNEL_BLOCK) * rows * KERNEL_BLOCK
}

/** `[rows, units]` into `out` as `[ceil(units / 16)][rows][16]`, unit j times `scale(j)`. */
function blockValues<T extends Float32Array | Int16Array>(
  kernel: T,
  out: T,
  rows: number,
  units: number,
  scale = (_j: number) => 1,
): T {
  for (let j = 0; j < units; j++) {
    const base = (j >> 4) * rows * KERNEL_BLOCK + (j & 15)
    const s = scale(j)
    for (let k = 0; k < rows; k++) out[base + k * KERNEL_BLOCK] = kernel[k * units + j] * s
  }
  return out
}

/** The bias zero-padded to whole blocks, with the BatchNorm folded in: `(b − mean)·s + beta`. */
function foldBias(bias: Float32Array, units: number, fold?: ReturnType<typeof batchNormAffine>) {
  const padded = new Float32Array(Math.ceil(units / KERNEL_BLOCK) * KERNEL_BLOCK)
  const n = fold?.scale.length ?? 1
  for (let j = 0; j < units; j++) {
    const k = j % n
    padded[j] = fold ? (bias[j] - fold.mean[k]) * fold.scale[k] + fold.beta[k] : bias[j]
  }
  return padded
}

/** The generator's layers as fused ops with their output sizes (see the module doc). */
export function compile(weights: DecodedWeights): CompiledOp[] {
  const net = weights.manifest.model.generator
  const layers = net.layers
  const shapes = featureShapes(net)
  const ops: CompiledOp[] = []
  const sizeAt = (i: number) => shapes[i].reduce((a, b) => a * b, 1)
  const foldable = (at: number, features: number) => {
    const bn = layers[at]
    if (bn === undefined || bn.kind !== 'batchNorm' || bn.features !== features) return undefined
    return batchNormAffine(weights, bn.name, bn.features, bn.epsilon)
  }
  let i = 0
  while (i < layers.length) {
    const layer = layers[i]
    const size = sizeAt(i + 1)
    const last = ops[ops.length - 1]?.op
    if (layer.kind === 'condition') {
      ops.push({ op: { kind: 'condition', classes: layer.classes }, size })
    } else if (layer.kind === 'upsample') {
      const [height, width, channels] = shapes[i] as MapShape
      ops.push({ op: { kind: 'upsample', height, width, channels }, size })
    } else if (layer.kind === 'activation') {
      const fusable = last?.kind === 'dense' || last?.kind === 'conv' || last?.kind === 'affine'
      if (fusable && last.fn === 'linear') {
        last.fn = layer.fn
        last.alpha = layer.alpha ?? 0
      } else {
        ops.push({ op: { kind: 'activation', fn: layer.fn, alpha: layer.alpha ?? 0 }, size })
      }
    } else if (layer.kind === 'batchNorm') {
      const bn = batchNormAffine(weights, layer.name, layer.features, layer.epsilon)
      const affine = { scale: Float32Array.from(bn.scale), shift: Float32Array.from(bn.shift) }
      ops.push({ op: { kind: 'affine', ...affine, fn: 'linear', alpha: 0 }, size })
    } else if (layer.kind === 'dense') {
      const { inputs, units, name } = layer
      const kernel = tensor(weights, `${name}.kernel`, inputs * units) // [inputs, units]
      const bias = tensor(weights, `${name}.bias`, units)
      // After a reshape, a BatchNorm's features are the map's channels: unit j is channel j mod c.
      const next = skipIdentities(layers, i + 1, ['dropout', 'reshape'])
      const bnShape = shapes[next]
      const fold = bnShape && foldable(next, bnShape[bnShape.length - 1])
      const stored = weights.integers?.get(`${name}.kernel`)
      const blocked = stored
        ? blockIntegers(stored, bias, inputs, units, fold)
        : blockKernel(kernel, bias, inputs, units, fold)
      ops.push({ op: { kind: 'dense', inputs, units, ...blocked, fn: 'linear', alpha: 0 }, size })
      if (fold) i = next
    } else if (layer.kind === 'conv2d') {
      const [height, width, channels] = shapes[i] as MapShape // a map: checked by featureShapes
      const { kernelSize: k, stride, filters, name } = layer
      const rows = k * k * channels
      const kernel = tensor(weights, `${name}.kernel`, rows * filters) // [k, k, in, filters]
      const bias = tensor(weights, `${name}.bias`, filters)
      const next = skipIdentities(layers, i + 1, ['dropout'])
      const fold = foldable(next, filters)
      const rowsGeometry = convGeometry(height, k, stride)
      const colsGeometry = convGeometry(width, k, stride)
      ops.push({
        op: {
          kind: 'conv',
          height,
          width,
          channels,
          outHeight: rowsGeometry.out,
          outWidth: colsGeometry.out,
          filters,
          kernelSize: k,
          stride,
          top: rowsGeometry.before,
          left: colsGeometry.before,
          ...blockKernel(kernel, bias, rows, filters, fold),
          fn: 'linear',
          alpha: 0,
        },
        size,
      })
      if (fold) i = next
    }
    // dropout, reshape, flatten: nothing to do at inference
    i++
  }
  return ops
}
