/**
 * @module web/train/batch-norm
 * BatchNorm statistics for export, as `npm run export` computes them (trainer/export/export.ts
 * `reestimateBatchNorm` and `batchNormCheck`), on the generator's named tensors instead of tfjs:
 * the worker serves BN in inference mode, so the moving statistics must be population estimates,
 * not the training run's momentum average.
 *
 * - Re-estimation: G runs in training mode (each BatchNorm normalizes with its batch's own
 *   statistics, so every layer sees upstream layers as in training) over `batches` batches of
 *   `batchSize` latents; a layer's new mean is the average of its batch means, its new variance
 *   E[x²] − mean² over all samples (exact for equal batches), clamped at 0.
 * - Check: mean and max |training mode − inference mode| per pixel on latents 0..n−1.
 *
 * Deterministic to the bit in every JS engine, which is what lets a browser and Node export the
 * same file: the dense layers run on the inference engine's WebAssembly kernel or its JS twin
 * (shared/inference/float32-ops: the same float32 sums in the same order, so the kernel's absence
 * changes nothing), BatchNorm statistics are summed in float64 in row order, tanh goes through
 * shared/math/detmath, never Math.tanh. The latents come from the caller (shared/latent/latent.ts
 * draws them bit-identically everywhere). Hand-written rather than a library: nothing else runs a
 * BatchNorm forward in training mode without tfjs, and tfjs's summation order is its own.
 */
import { denseOp, type DenseOp } from '../../shared/inference/compile'
import { activate, denseJs } from '../../shared/inference/float32-ops'
import {
  createKernelRunner,
  KERNEL_BLOCK,
  type KernelModule,
  type KernelRunner,
} from '../../shared/inference/kernel'
import { createGenerator } from '../../shared/inference/forward'
import type { LayerSpec, ModelSpec, NetworkSpec } from '../../shared/model/spec'
import { decodeWeights, encodeWeights } from '../../shared/model/weights'

/** G's inputs for one batch: latents `[rows, latentDim]` and, when conditional, one label a row. */
export interface GeneratorBatch {
  z: Float32Array
  labels?: Int32Array
  rows: number
}

/** How far inference mode is from training mode on the same latents (pixels in [−1, 1]). */
export interface BatchNormCheck {
  meanAbsDiff: number
  maxAbsDiff: number
}

type Tensors = Map<string, Float32Array>

/** The tensor `name`, or a clear error naming it. */
function tensor(tensors: Tensors, name: string, size: number): Float32Array {
  const t = tensors.get(name)
  if (!t || t.length !== size) {
    throw new RangeError(`Expected the tensor ${name} with ${size} values, but got ${t?.length}.`)
  }
  return t
}

/**
 * Runs G's dense layers one row at a time: `y = x · kernel + bias` on the WebAssembly kernel
 * when given, else in JS with the same bits.
 */
class DenseLayers {
  private readonly ops = new Map<string, DenseOp>()
  private readonly index = new Map<string, number>()
  private readonly runner?: KernelRunner
  private readonly scratch: [Float32Array, Float32Array]

  constructor(net: NetworkSpec, tensors: Tensors, kernel?: KernelModule) {
    let width = net.inputs
    for (const layer of net.layers) {
      if (layer.kind !== 'dense') continue
      const { name, inputs, units } = layer
      const op = denseOp(
        tensor(tensors, `${name}.kernel`, inputs * units),
        tensor(tensors, `${name}.bias`, units),
        inputs,
        units,
      )
      this.index.set(name, this.ops.size)
      this.ops.set(name, op)
      width = Math.max(width, inputs, op.blocks * KERNEL_BLOCK)
    }
    width += KERNEL_BLOCK
    if (kernel) {
      this.runner = createKernelRunner(kernel, [...this.ops.values()], width)
      this.scratch = this.runner.buffers
    } else {
      this.scratch = [new Float32Array(width), new Float32Array(width)]
    }
  }

  /** Layer `name` on `rows` rows of `x`. */
  run(name: string, x: Float32Array, rows: number): Float32Array {
    const op = this.ops.get(name)!
    const { inputs, units } = op
    const y = new Float32Array(rows * units)
    const [a, b] = this.scratch
    for (let r = 0; r < rows; r++) {
      a.set(x.subarray(r * inputs, (r + 1) * inputs))
      if (this.runner) this.runner.run(this.index.get(name)!, 0)
      else denseJs(op, a, b)
      y.set(b.subarray(0, units), r * units)
    }
    return y
  }
}

/** Batch mean and (biased) variance of each feature, summed in float64 in row order. */
function batchStats(x: Float32Array, rows: number, features: number) {
  const mean = new Float64Array(features)
  const variance = new Float64Array(features)
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < features; j++) mean[j] += x[r * features + j]
  }
  for (let j = 0; j < features; j++) mean[j] /= rows
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < features; j++) {
      const d = x[r * features + j] - mean[j]
      variance[j] += d * d
    }
  }
  for (let j = 0; j < features; j++) variance[j] /= rows
  return { mean, variance }
}

/**
 * G forward in training mode (batch statistics in every BatchNorm), reporting each BatchNorm's
 * batch statistics to `onStats`; with `untilLastBatchNorm` it stops after the last BatchNorm
 * (what re-estimation needs) and returns undefined.
 * @throws RangeError for a layer the tutorial MLPs do not have (conv, upsample, dropout in G).
 */
export function trainingForward(
  net: NetworkSpec,
  tensors: Tensors,
  batch: GeneratorBatch,
  onStats?: (layer: string, mean: Float64Array, variance: Float64Array) => void,
  untilLastBatchNorm = false,
  dense: DenseLayers = new DenseLayers(net, tensors),
): Float32Array | undefined {
  const { rows } = batch
  let x = batch.z
  let width = net.inputs
  if (x.length !== rows * width) {
    throw new RangeError(`Expected ${rows * width} latent values, but got ${x.length}.`)
  }
  const last = net.layers.map((l) => l.kind).lastIndexOf('batchNorm')
  for (const [index, layer] of net.layers.entries()) {
    if (untilLastBatchNorm && index > last) return undefined
    ;({ x, width } = applyLayer(layer, x, width, rows, tensors, dense, batch.labels, onStats))
  }
  return untilLastBatchNorm ? undefined : x
}

function applyLayer(
  layer: LayerSpec,
  x: Float32Array,
  width: number,
  rows: number,
  tensors: Tensors,
  dense: DenseLayers,
  labels: Int32Array | undefined,
  onStats?: (layer: string, mean: Float64Array, variance: Float64Array) => void,
): { x: Float32Array; width: number } {
  switch (layer.kind) {
    case 'condition': {
      if (!labels || labels.length !== rows) {
        throw new RangeError(`Expected ${rows} class labels for a conditional generator.`)
      }
      const w = width + layer.classes
      const y = new Float32Array(rows * w)
      for (let r = 0; r < rows; r++) {
        y.set(x.subarray(r * width, (r + 1) * width), r * w)
        y[r * w + width + labels[r]] = 1
      }
      return { x: y, width: w }
    }
    case 'dense': {
      const { inputs, units, name } = layer
      if (inputs !== width) throw new RangeError(`Expected ${name} to take ${width} inputs.`)
      return { x: dense.run(name, x, rows), width: units }
    }
    case 'batchNorm': {
      const { name, features, epsilon } = layer
      const gamma = tensor(tensors, `${name}.gamma`, features)
      const beta = tensor(tensors, `${name}.beta`, features)
      const { mean, variance } = batchStats(x, rows, features)
      onStats?.(name, mean, variance)
      const scale = Float64Array.from(variance, (v, j) => gamma[j] / Math.sqrt(v + epsilon))
      const y = new Float32Array(x.length)
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < features; j++) {
          const i = r * features + j
          y[i] = (x[i] - mean[j]) * scale[j] + beta[j]
        }
      }
      return { x: y, width }
    }
    case 'activation':
      activate(layer.fn, layer.alpha ?? 0, x, x.length)
      return { x, width }
    case 'reshape':
    case 'flatten':
      return { x, width }
    default:
      throw new RangeError(
        `Expected the tutorial MLP generator's layers, but got a ${layer.kind} layer.`,
      )
  }
}

/**
 * G's tensors with every BatchNorm's moving statistics replaced by population estimates over
 * `batches` batches (`draw(b)` gives batch b's inputs); the other tensors are shared, not copied.
 * @example reestimateBatchNorm(model.generator, tensors, 50, (b) => drawBatch(b, 256))
 */
export function reestimateBatchNorm(
  net: NetworkSpec,
  tensors: Tensors,
  batches: number,
  draw: (batch: number) => GeneratorBatch,
  kernel?: KernelModule,
): Tensors {
  if (!Number.isInteger(batches) || batches < 1) {
    throw new RangeError(`Expected at least one batch, but got ${batches}.`)
  }
  const sums = new Map<string, { mean: Float64Array; square: Float64Array }>()
  const dense = new DenseLayers(net, tensors, kernel)
  for (let b = 0; b < batches; b++) {
    trainingForward(
      net,
      tensors,
      draw(b),
      (layer, mean, variance) => {
        let s = sums.get(layer)
        if (!s) {
          s = { mean: new Float64Array(mean.length), square: new Float64Array(mean.length) }
          sums.set(layer, s)
        }
        for (let i = 0; i < mean.length; i++) {
          s.mean[i] += mean[i]
          s.square[i] += variance[i] + mean[i] * mean[i]
        }
      },
      true,
      dense,
    )
  }
  const out = new Map(tensors)
  for (const [layer, s] of sums) {
    const mean = Float32Array.from(s.mean, (x) => x / batches)
    const variance = Float32Array.from(s.square, (x, i) =>
      Math.max(0, x / batches - mean[i] * mean[i]),
    )
    out.set(`${layer}.movingMean`, mean)
    out.set(`${layer}.movingVariance`, variance)
  }
  return out
}

/**
 * Compares G in training mode (batch statistics) with the inference-mode generator the worker
 * runs (shared/inference/forward, moving statistics folded) on one batch.
 */
export function batchNormCheck(
  model: ModelSpec,
  tensors: Tensors,
  batch: GeneratorBatch,
  kernel?: KernelModule,
): BatchNormCheck {
  const dense = new DenseLayers(model.generator, tensors, kernel)
  const train = trainingForward(model.generator, tensors, batch, undefined, false, dense)!
  const { manifest, payload } = encodeWeights(model, tensors, { dtype: 'f32', compress: false })
  const generator = createGenerator(decodeWeights(manifest, payload), { kernel })
  const L = model.latentDim
  const size = generator.outputSize
  let sum = 0
  let max = 0
  for (let r = 0; r < batch.rows; r++) {
    const z = batch.z.subarray(r * L, (r + 1) * L)
    const image = generator.run(z, batch.labels?.[r])
    for (let i = 0; i < size; i++) {
      const d = Math.abs(train[r * size + i] - image[i])
      sum += d
      if (d > max) max = d
    }
  }
  return { meanAbsDiff: sum / (batch.rows * size), maxAbsDiff: max }
}
