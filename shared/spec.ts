/**
 * @module shared/spec
 * Architectures as plain data. The trainer builds tfjs variables from a spec, the exporter writes the
 * spec into the artifact manifest, and the edge rebuilds the generator from the manifest alone.
 *
 * Extending: new layer kinds are new members of the `LayerSpec` union and new optional fields on
 * `ModelSpec` (e.g. class conditioning); readers reject kinds they do not know, so old artifacts keep
 * loading and new ones fail loudly on old readers.
 */

/** Element-wise nonlinearities. `leakyRelu` uses `alpha` (negative slope). */
export type Activation = 'leakyRelu' | 'relu' | 'tanh' | 'sigmoid' | 'linear'

/** Fully connected layer: y = x · kernel + bias, kernel `[inputs, units]` row-major. */
export interface DenseSpec {
  kind: 'dense'
  name: string
  inputs: number
  units: number
}

/**
 * Batch normalization over features. Momentum follows Keras:
 * `moving = momentum · moving + (1 − momentum) · batch` (so 0.8 keeps 80 % of the old estimate;
 * PyTorch's `momentum=0.8` would keep 20 %). Inference uses `(x − movingMean) / sqrt(movingVariance + epsilon)`.
 */
export interface BatchNormSpec {
  kind: 'batchNorm'
  name: string
  features: number
  epsilon: number
  momentum: number
}

export interface ActivationSpec {
  kind: 'activation'
  fn: Activation
  /** Negative slope for `leakyRelu`. */
  alpha?: number
}

/** Training-only; the identity at inference. */
export interface DropoutSpec {
  kind: 'dropout'
  rate: number
}

/**
 * Class conditioning: appends the one-hot label (`classes` values) to the flat features, so the
 * next Dense sees `[features, onehot(label)]` (PyTorch-GAN's cgan concatenates a label embedding
 * the same way; a one-hot times the next kernel is that embedding). At most one per network.
 */
export interface ConditionSpec {
  kind: 'condition'
  classes: number
}

export type LayerSpec = DenseSpec | BatchNormSpec | ActivationSpec | DropoutSpec | ConditionSpec

/** A feed-forward stack over a flat input vector. */
export interface NetworkSpec {
  inputs: number
  layers: LayerSpec[]
}

export interface ModelSpec {
  /** Architecture family, e.g. `mlp`. */
  name: string
  latentDim: number
  /** `[height, width, channels]` of one image. */
  imageShape: [number, number, number]
  generator: NetworkSpec
  discriminator: NetworkSpec
}

/** One trainable or state tensor of a network, named `<layer>.<param>`. */
export interface TensorSpec {
  name: string
  shape: number[]
  /** False for BatchNorm moving statistics, which are updated outside the optimizer. */
  trainable: boolean
}

/** Error for specs that do not describe a valid network. */
export class SpecError extends Error {
  override name = 'SpecError'
}

export interface TutorialMlpOptions {
  latentDim?: number
  /** Dropout rate after each hidden layer of D; 0 adds no dropout layers. */
  dDropout?: number
  /** Drop the sigmoid from D's output (WGAN-GP critic). The BCE loss works on logits either way. */
  critic?: boolean
  /** Condition G and D on a class label (one-hot appended to their inputs); 0 = unconditional. */
  classes?: number
}

/**
 * The classic tutorial GAN (PyTorch-GAN `gan.py` shape, Keras momentum semantics):
 * G: z(100) → 128 → 256 → 512 → 784, each hidden block Dense → BatchNorm (not on the first) →
 * LeakyReLU(0.2), output Dense → tanh. D: 784 → 512 → 256 → 1 with LeakyReLU(0.2), output sigmoid.
 * BatchNorm sits between Dense and activation so inference-mode BN folds exactly into the Dense.
 */
export function tutorialMlp(options: TutorialMlpOptions = {}): ModelSpec {
  const latentDim = options.latentDim ?? 100
  const dDropout = options.dDropout ?? 0
  const lrelu: ActivationSpec = { kind: 'activation', fn: 'leakyRelu', alpha: 0.2 }
  const bn = (name: string, features: number): BatchNormSpec => ({
    kind: 'batchNorm',
    name,
    features,
    epsilon: 1e-3,
    momentum: 0.8,
  })
  const dense = (name: string, inputs: number, units: number): DenseSpec => ({
    kind: 'dense',
    name,
    inputs,
    units,
  })
  const dropout: LayerSpec[] = dDropout > 0 ? [{ kind: 'dropout', rate: dDropout }] : []
  const classes = options.classes ?? 0
  const condition: LayerSpec[] = classes > 0 ? [{ kind: 'condition', classes }] : []
  return {
    name: classes > 0 ? 'cgan-mlp' : 'mlp',
    latentDim,
    imageShape: [28, 28, 1],
    generator: {
      inputs: latentDim,
      layers: [
        ...condition,
        dense('g.dense0', latentDim + classes, 128),
        lrelu,
        dense('g.dense1', 128, 256),
        bn('g.bn1', 256),
        lrelu,
        dense('g.dense2', 256, 512),
        bn('g.bn2', 512),
        lrelu,
        dense('g.dense3', 512, 784),
        { kind: 'activation', fn: 'tanh' },
      ],
    },
    discriminator: {
      inputs: 784,
      layers: [
        ...condition,
        dense('d.dense0', 784 + classes, 512),
        lrelu,
        ...dropout,
        dense('d.dense1', 512, 256),
        lrelu,
        ...dropout,
        dense('d.dense2', 256, 1),
        { kind: 'activation', fn: options.critic ? 'linear' : 'sigmoid' },
      ],
    },
  }
}

/** Output size of a network, checking that every layer's input matches the previous output. */
export function outputSize(net: NetworkSpec): number {
  let size = net.inputs
  for (const layer of net.layers) {
    if (layer.kind === 'dense') {
      if (layer.inputs !== size) {
        throw new SpecError(`Expected ${layer.name} to take ${size} inputs, but got ${layer.inputs}.`)
      }
      size = layer.units
    } else if (layer.kind === 'batchNorm') {
      if (layer.features !== size) {
        throw new SpecError(`Expected ${layer.name} to have ${size} features, but got ${layer.features}.`)
      }
    } else if (layer.kind === 'condition') {
      size += layer.classes
    }
  }
  return size
}

/**
 * Number of classes a network is conditioned on: 0 for an unconditional one.
 * @throws SpecError if it has more than one condition layer.
 */
export function classCount(net: NetworkSpec): number {
  const conditions = net.layers.filter((l): l is ConditionSpec => l.kind === 'condition')
  if (conditions.length > 1) {
    throw new SpecError(`Expected at most one condition layer, but got ${conditions.length}.`)
  }
  return conditions[0]?.classes ?? 0
}

/** The parameter and state tensors of a network, in payload order. */
export function tensorSpecs(net: NetworkSpec): TensorSpec[] {
  const out: TensorSpec[] = []
  for (const layer of net.layers) {
    if (layer.kind === 'dense') {
      out.push({ name: `${layer.name}.kernel`, shape: [layer.inputs, layer.units], trainable: true })
      out.push({ name: `${layer.name}.bias`, shape: [layer.units], trainable: true })
    } else if (layer.kind === 'batchNorm') {
      const n = [layer.features]
      out.push({ name: `${layer.name}.gamma`, shape: n, trainable: true })
      out.push({ name: `${layer.name}.beta`, shape: n, trainable: true })
      out.push({ name: `${layer.name}.movingMean`, shape: n, trainable: false })
      out.push({ name: `${layer.name}.movingVariance`, shape: n, trainable: false })
    }
  }
  return out
}

/** Total number of scalars in a network's tensors. */
export function parameterCount(net: NetworkSpec): number {
  return tensorSpecs(net).reduce((sum, t) => sum + t.shape.reduce((a, b) => a * b, 1), 0)
}
