/**
 * @module shared/model/spec
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

/**
 * Reads flat features as one image's feature map `[height, width, channels]` (NHWC). No value
 * moves: maps are stored row-major in (h, w, c) order, so a 28×28×1 map is the MNIST image vector
 * as it is. Takes flat features only (a map goes through `flatten` first).
 */
export interface ReshapeSpec {
  kind: 'reshape'
  shape: [number, number, number]
}

/**
 * 2-D convolution of a feature map, kernel `[kernelSize, kernelSize, inChannels, filters]` and bias
 * `[filters]`: `y[oy, ox, f] = b[f] + Σ_{ky, kx, c} k[ky, kx, c, f] · x[oy·s + ky − top,
 * ox·s + kx − left, c]` over the taps inside the input; `same` padding as TensorFlow/Keras
 * (`top`, `left`: see {@link convGeometry}).
 */
export interface Conv2dSpec {
  kind: 'conv2d'
  name: string
  inChannels: number
  filters: number
  kernelSize: number
  stride: 1 | 2
  padding: 'same'
}

/** Nearest-neighbour 2× upsampling of a map: `y[oy, ox, c] = x[⌊oy / 2⌋, ⌊ox / 2⌋, c]`. */
export interface UpsampleSpec {
  kind: 'upsample'
  factor: 2
}

/** A feature map back to flat features, row-major (h, w, c): again no value moves. */
export interface FlattenSpec {
  kind: 'flatten'
}

export type LayerSpec =
  | DenseSpec
  | BatchNormSpec
  | ActivationSpec
  | DropoutSpec
  | ConditionSpec
  | ReshapeSpec
  | Conv2dSpec
  | UpsampleSpec
  | FlattenSpec

/**
 * Features between layers: `[n]` flat, or `[height, width, channels]` for a feature map. A
 * BatchNorm on a map normalizes per channel (`features` = channels).
 */
export type FeatureShape = readonly [number] | readonly [number, number, number]

/**
 * A feed-forward stack from a flat input vector to flat outputs (maps live between a `reshape`
 * and a `flatten`).
 */
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

/** Most values one layer may output (2^24 floats, 64 MiB): bounds what a manifest can allocate. */
export const MAX_FEATURES = 1 << 24

/**
 * `same` padding along one axis, as TensorFlow/Keras: `out = ⌈size / stride⌉`, and the
 * `max((out − 1)·stride + kernel − size, 0)` padding split with the odd one after
 * (`before = ⌊total / 2⌋`). A 4×4 stride-2 kernel on 28 pads 1 and 1 (PyTorch's `padding=1`).
 * @example convGeometry(28, 3, 2) // { out: 14, before: 0, after: 1 }
 */
export function convGeometry(size: number, kernel: number, stride: number) {
  const out = Math.ceil(size / stride)
  const total = Math.max((out - 1) * stride + kernel - size, 0)
  const before = Math.floor(total / 2)
  return { out, before, after: total - before }
}

function describe(shape: FeatureShape): string {
  return shape.length === 1 ? `${shape[0]} flat features` : `a [${shape.join(', ')}] map`
}

/**
 * The features entering each layer, then the network's output: `layers.length + 1` shapes.
 * @throws SpecError if a layer does not fit its input (sizes, channels, map vs flat), a layer
 *   outputs more than {@link MAX_FEATURES} values, or the network does not end flat.
 * @example featureShapes(dcgan().generator).at(-2) // [28, 28, 1]
 */
export function featureShapes(net: NetworkSpec): FeatureShape[] {
  let shape: FeatureShape = [net.inputs]
  const shapes: FeatureShape[] = [shape]
  const flat = (layer: string): number => {
    if (shape.length !== 1) {
      throw new SpecError(`Expected flat features at ${layer}, but got ${describe(shape)}.`)
    }
    return shape[0]
  }
  const map = (layer: string): readonly [number, number, number] => {
    if (shape.length !== 3) {
      throw new SpecError(`Expected a feature map at ${layer}, but got ${describe(shape)}.`)
    }
    return shape
  }
  for (const layer of net.layers) {
    if (layer.kind === 'dense') {
      const size = flat(layer.name)
      if (layer.inputs !== size) {
        throw new SpecError(
          `Expected ${layer.name} to take ${size} inputs, but got ${layer.inputs}.`,
        )
      }
      shape = [layer.units]
    } else if (layer.kind === 'batchNorm') {
      const features = shape[shape.length - 1]
      if (layer.features !== features) {
        const what = shape.length === 1 ? 'features' : 'features (channels)'
        throw new SpecError(
          `Expected ${layer.name} to have ${features} ${what}, but got ${layer.features}.`,
        )
      }
    } else if (layer.kind === 'condition') {
      shape = [flat('condition') + layer.classes]
    } else if (layer.kind === 'reshape') {
      const size = flat('reshape')
      const [h, w, c] = layer.shape
      if (h * w * c !== size) {
        throw new SpecError(
          `Expected reshape to [${layer.shape.join(', ')}] to keep ${size} values, but got ${h * w * c}.`,
        )
      }
      shape = [h, w, c]
    } else if (layer.kind === 'conv2d') {
      const [h, w, c] = map(layer.name)
      if (layer.inChannels !== c) {
        throw new SpecError(
          `Expected ${layer.name} to take ${c} channels, but got ${layer.inChannels}.`,
        )
      }
      const { stride, kernelSize: k } = layer
      shape = [convGeometry(h, k, stride).out, convGeometry(w, k, stride).out, layer.filters]
    } else if (layer.kind === 'upsample') {
      const [h, w, c] = map('upsample')
      shape = [h * layer.factor, w * layer.factor, c]
    } else if (layer.kind === 'flatten') {
      const [h, w, c] = map('flatten')
      shape = [h * w * c]
    }
    const values = shape.reduce((a, b) => a * b, 1)
    if (values > MAX_FEATURES) {
      throw new SpecError(`Expected at most ${MAX_FEATURES} features per layer, but got ${values}.`)
    }
    shapes.push(shape)
  }
  if (shape.length !== 1) {
    throw new SpecError(
      `Expected the network to end on flat features (add a flatten layer), but got ${describe(shape)}.`,
    )
  }
  return shapes
}

/** Output size of a network, checking that every layer's input matches the previous output. */
export function outputSize(net: NetworkSpec): number {
  return featureShapes(net).at(-1)![0]
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
      out.push({
        name: `${layer.name}.kernel`,
        shape: [layer.inputs, layer.units],
        trainable: true,
      })
      out.push({ name: `${layer.name}.bias`, shape: [layer.units], trainable: true })
    } else if (layer.kind === 'conv2d') {
      const { kernelSize: k, inChannels, filters } = layer
      out.push({
        name: `${layer.name}.kernel`,
        shape: [k, k, inChannels, filters],
        trainable: true,
      })
      out.push({ name: `${layer.name}.bias`, shape: [filters], trainable: true })
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
