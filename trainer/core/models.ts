/**
 * @module trainer/core/models
 * Networks built directly on tfjs-core variables from a `NetworkSpec` (no tfjs-layers), so the
 * variable names are exactly the artifact's tensor names (`tensorSpecs()` in shared/model/spec.ts).
 *
 * Conventions:
 * - Init as PyTorch's `nn.Linear` / `nn.Conv2d` default (the tutorial's framework): kernel and
 *   bias ~ U(−1/√fanIn, 1/√fanIn), fanIn = inputs (dense) or k·k·in (conv), seeded per tensor
 *   from the run seed.
 * - Layout: flat features are `[batch, n]`, feature maps `[batch, h, w, c]` (NHWC; `reshape` and
 *   `flatten` are reshapes, row-major (h, w, c) as in shared/model/spec). Convolutions and upsampling
 *   come from trainer/core/conv.ts (they train on wasm, where `tf.conv2d` has no filter gradient).
 * - BatchNorm, training mode: normalize with the batch mean and biased batch variance (per
 *   feature; per channel over batch, height and width on a feature map); the caller
 *   receives those statistics (`onBatchStats`) and updates the moving ones with Keras semantics,
 *   `moving = momentum · moving + (1 − momentum) · batch` (momentum 0.8 keeps 80 % of the old
 *   estimate). Inference mode: `(x − movingMean) / sqrt(movingVariance + ε) · γ + β`.
 * - Dropout is inverted (scaled by 1/(1 − rate) at training time) with an explicit seed.
 */
import type { LayerSpec, NetworkSpec } from '../../shared/model/spec'
import { tensorSpecs } from '../../shared/model/spec'
import { conv2d, upsample2 } from './conv'
import { dense, matMul } from './dense'
import { mixSeed, SEED_PURPOSE } from '../../shared/latent/seed'
import { tf } from './tf'

/** A network: its spec and one tfjs variable per `tensorSpecs(spec)` entry. */
export interface Network {
  spec: NetworkSpec
  /** Keyed by tensor name, e.g. `g.dense0.kernel`; in `tensorSpecs` order. */
  vars: Map<string, tf.Variable>
  /** The trainable variables, in `tensorSpecs` order (what the optimizer updates). */
  trainable: tf.Variable[]
}

/** How to run a network forward. */
export interface ForwardOptions {
  /** Batch statistics for BatchNorm and active dropout. */
  training: boolean
  /** Seed for dropout masks (required when training a network with dropout). */
  dropoutSeed?: number
  /** Stop before a trailing sigmoid and return logits (for numerically stable BCE). */
  logits?: boolean
  /** Called with each BatchNorm layer's batch mean and variance in training mode. */
  onBatchStats?: (layer: string, mean: tf.Tensor1D, variance: tf.Tensor1D) => void
  /** One-hot class labels `[batch, classes]`, for networks with a `condition` layer. */
  labels?: tf.Tensor2D
}

/**
 * Creates the variables of a network, initialized from `seed`.
 * @example const g = createNetwork(tutorialMlp().generator, 42)
 */
export function createNetwork(spec: NetworkSpec, seed: number): Network {
  const vars = new Map<string, tf.Variable>()
  const trainable: tf.Variable[] = []
  const fanIn = new Map<string, number>()
  for (const layer of spec.layers) {
    if (layer.kind === 'dense') fanIn.set(layer.name, layer.inputs)
    if (layer.kind === 'conv2d') {
      fanIn.set(layer.name, layer.kernelSize * layer.kernelSize * layer.inChannels)
    }
  }
  tensorSpecs(spec).forEach((t, i) => {
    const layerName = t.name.slice(0, t.name.lastIndexOf('.'))
    const param = t.name.slice(t.name.lastIndexOf('.') + 1)
    const init = tf.tidy(() => {
      if (param === 'kernel' || param === 'bias') {
        const bound = 1 / Math.sqrt(fanIn.get(layerName)!)
        return tf.randomUniform(
          t.shape,
          -bound,
          bound,
          'float32',
          mixSeed(seed, SEED_PURPOSE.init, i),
        )
      }
      return param === 'gamma' || param === 'movingVariance' ? tf.ones(t.shape) : tf.zeros(t.shape)
    })
    // tfjs variable names are global and must be unique; our own map carries the spec names.
    const v = tf.variable(init, t.trainable)
    init.dispose()
    vars.set(t.name, v)
    if (t.trainable) trainable.push(v)
  })
  return { spec, vars, trainable }
}

/** Frees a network's variables. */
export function disposeNetwork(net: Network): void {
  for (const v of net.vars.values()) v.dispose()
}

/** A copy of every tensor's values keyed by name (for export and checkpoints). */
export async function readTensors(net: Network): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>()
  for (const [name, v] of net.vars) out.set(name, (await v.data()) as Float32Array)
  return out
}

function param(net: Network, layer: string, name: string): tf.Variable {
  return net.vars.get(`${layer}.${name}`)!
}

/**
 * Runs `x` `[batch, inputs]` through the network (flat in, flat out: shared/model/spec networks end
 * flat). Call inside `tf.tidy` (or a gradient function).
 * @example const logits = forward(d, images, { training: true, dropoutSeed: 7, logits: true })
 */
export function forward(net: Network, x: tf.Tensor2D, options: ForwardOptions): tf.Tensor2D {
  let h: tf.Tensor = x
  const layers = net.spec.layers
  layers.forEach((layer, i) => {
    const last = i === layers.length - 1
    if (last && options.logits && layer.kind === 'activation' && layer.fn === 'sigmoid') return
    h = applyLayer(net, layer, h, i, options)
  })
  return h as tf.Tensor2D
}

/** The pre-activation input of each activation layer and each dropout mask, for `inputGradient`. */
interface Trace {
  preActivations: Map<number, tf.Tensor>
  dropoutMasks: Map<number, tf.Tensor>
}

/** One layer on `[batch, n]` features or a `[batch, h, w, c]` map. */
function applyLayer(
  net: Network,
  layer: LayerSpec,
  h: tf.Tensor,
  index: number,
  options: ForwardOptions,
  trace?: Trace,
): tf.Tensor {
  switch (layer.kind) {
    case 'dense':
      return dense(
        h as tf.Tensor2D,
        param(net, layer.name, 'kernel') as tf.Tensor2D,
        param(net, layer.name, 'bias') as tf.Tensor1D,
      )
    case 'batchNorm': {
      let mean: tf.Tensor1D
      let variance: tf.Tensor1D
      if (options.training) {
        // Biased variance, as Keras; per channel over [batch, h, w] on a feature map.
        const m = tf.moments(h, h.rank === 4 ? [0, 1, 2] : 0)
        mean = m.mean as tf.Tensor1D
        variance = m.variance as tf.Tensor1D
        options.onBatchStats?.(layer.name, mean, variance)
      } else {
        mean = param(net, layer.name, 'movingMean') as tf.Tensor1D
        variance = param(net, layer.name, 'movingVariance') as tf.Tensor1D
      }
      // [features] scale folded first so the [batch, features] work is one sub, one mul, one add.
      const scale = tf.mul(
        param(net, layer.name, 'gamma'),
        tf.rsqrt(tf.add(variance, layer.epsilon)),
      )
      return tf.add(tf.mul(tf.sub(h, mean), scale), param(net, layer.name, 'beta'))
    }
    case 'activation':
      trace?.preActivations.set(index, h)
      switch (layer.fn) {
        case 'leakyRelu':
          return tf.leakyRelu(h, layer.alpha ?? 0.2)
        case 'relu':
          return tf.relu(h)
        case 'tanh':
          return tf.tanh(h)
        case 'sigmoid':
          return tf.sigmoid(h)
        case 'linear':
          return h
      }
      throw new Error(`Expected a known activation, but got '${(layer as { fn: string }).fn}'.`)
    case 'condition': {
      const labels = options.labels
      if (labels === undefined || labels.shape[1] !== layer.classes) {
        const got = labels === undefined ? 'none' : `${labels.shape[1]} columns`
        throw new Error(`Expected one-hot labels of ${layer.classes} classes, but got ${got}.`)
      }
      return tf.concat([h, labels], 1)
    }
    case 'reshape':
      return tf.reshape(h, [-1, ...layer.shape])
    case 'flatten':
      return tf.reshape(h, [h.shape[0], -1])
    case 'conv2d':
      return conv2d(
        h as tf.Tensor4D,
        param(net, layer.name, 'kernel') as tf.Tensor4D,
        param(net, layer.name, 'bias') as tf.Tensor1D,
        layer.stride,
      )
    case 'upsample':
      return upsample2(h as tf.Tensor4D)
    case 'dropout': {
      if (!options.training || layer.rate === 0) return h
      if (options.dropoutSeed === undefined)
        throw new Error('Expected a dropout seed in training mode.')
      const u = tf.randomUniform(h.shape, 0, 1, 'float32', mixSeed(options.dropoutSeed, index))
      // step(u − rate) is 1 where kept; its gradient is zero, so masks are constants to autodiff.
      const mask = tf.mul(tf.step(tf.sub(u, layer.rate)), 1 / (1 - layer.rate))
      trace?.dropoutMasks.set(index, mask)
      return tf.mul(h, mask)
    }
  }
}

/** Layer kinds of conv models, which `inputGradient` does not differentiate. */
const MAP_LAYERS: readonly string[] = ['reshape', 'conv2d', 'upsample', 'flatten']

/** One-hot rows `[n, classes]` for integer `labels`. */
export function oneHot(labels: Int32Array, classes: number): tf.Tensor2D {
  return tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), classes).toFloat() as tf.Tensor2D)
}

/**
 * ∂(Σ output)/∂x for a critic (dense, leakyRelu/relu/linear, dropout, condition layers; one output unit),
 * written out analytically: g = 1 · W_Lᵀ, then back through each layer (× activation slope,
 * × dropout mask, · Wᵀ). Every op here has a first-order gradient, so the gradient penalty built on
 * it trains with ordinary `tf.variableGrads` and needs no second derivatives from tfjs.
 * Slopes come from `tf.step`, whose gradient is zero (exact almost everywhere).
 * Conv critics are not supported (their input gradient is not written out here).
 * @returns `[batch, inputs]`
 * @throws Error for a critic with BatchNorm or feature-map layers (reshape, conv2d, upsample,
 *   flatten), or more than one output.
 */
export function inputGradient(net: Network, x: tf.Tensor2D, options: ForwardOptions): tf.Tensor2D {
  const trace: Trace = { preActivations: new Map(), dropoutMasks: new Map() }
  let h: tf.Tensor = x
  net.spec.layers.forEach((layer, i) => {
    if (layer.kind === 'batchNorm') {
      throw new Error('Expected a critic without BatchNorm for the gradient penalty, but got one.')
    }
    if (MAP_LAYERS.includes(layer.kind)) {
      throw new Error(
        `Expected a dense critic for the gradient penalty (its input gradient is written out ` +
          `for dense layers only), but got a ${layer.kind} layer.`,
      )
    }
    h = applyLayer(net, layer, h, i, options, trace)
  })
  if (h.shape[1] !== 1) throw new Error(`Expected a critic with 1 output, but got ${h.shape[1]}.`)
  let g = tf.onesLike(h) as tf.Tensor2D
  for (let i = net.spec.layers.length - 1; i >= 0; i--) {
    const layer = net.spec.layers[i]
    if (layer.kind === 'dense') {
      g = matMul(g, tf.transpose(param(net, layer.name, 'kernel')) as tf.Tensor2D)
    } else if (layer.kind === 'condition') {
      g = g.slice([0, 0], [-1, g.shape[1] - layer.classes]) // the labels are not an input to D's gradient
    } else if (layer.kind === 'dropout') {
      const mask = trace.dropoutMasks.get(i)
      if (mask) g = tf.mul(g, mask)
    } else if (layer.kind === 'activation') {
      const pre = trace.preActivations.get(i)!
      if (layer.fn === 'leakyRelu') g = tf.mul(g, tf.step(pre, layer.alpha ?? 0.2))
      else if (layer.fn === 'relu') g = tf.mul(g, tf.step(pre, 0))
      else if (layer.fn !== 'linear') {
        throw new Error(`Expected a piecewise-linear critic activation, but got '${layer.fn}'.`)
      }
    }
  }
  return g
}
