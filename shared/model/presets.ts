/**
 * @module shared/model/presets
 * The model families as spec functions (re-exported by shared/model/spec): the tutorial MLP GAN and a
 * small DCGAN, each optionally class-conditional. trainer/core/architecture.ts maps `--model` onto them.
 */
import type { ActivationSpec, BatchNormSpec, DenseSpec, LayerSpec, ModelSpec } from './spec'

/** LeakyReLU(0.2), the tutorial's and DCGAN's D activation. */
const lrelu: ActivationSpec = { kind: 'activation', fn: 'leakyRelu', alpha: 0.2 }

/** BatchNorm with Keras momentum semantics (see BatchNormSpec), as both families use it. */
function bn(name: string, features: number): BatchNormSpec {
  return { kind: 'batchNorm', name, features, epsilon: 1e-3, momentum: 0.8 }
}

/** The condition layer of a `classes`-way conditional network; none for 0. */
function conditionLayers(classes: number): LayerSpec[] {
  return classes > 0 ? [{ kind: 'condition', classes }] : []
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
  const dense = (name: string, inputs: number, units: number): DenseSpec => ({
    kind: 'dense',
    name,
    inputs,
    units,
  })
  const dropout: LayerSpec[] = dDropout > 0 ? [{ kind: 'dropout', rate: dDropout }] : []
  const classes = options.classes ?? 0
  const condition = conditionLayers(classes)
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

export interface DcganOptions {
  latentDim?: number
  /** Class conditioning: the one-hot label joins G's input and D's flattened features. */
  classes?: number
  /** Drop the sigmoid from D's output (a critic). */
  critic?: boolean
  /** Dropout rate after each hidden block of D; 0 adds none. */
  dDropout?: number
  /** G's channels at 7×7 and at 14×14; D's channels at 14×14 and at 7×7. */
  gChannels?: [number, number]
  dChannels?: [number, number]
}

/**
 * A small DCGAN for 28×28×1 (Radford et al. 2016 guidelines; the upsample + conv form of
 * PyTorch-GAN's `dcgan.py`):
 * G: [condition] → dense → reshape 7×7×64 → BN → ReLU → upsample → conv 3×3 (32) → BN → ReLU →
 * upsample → conv 3×3 (1) → tanh → flatten. D: reshape 28×28×1 → conv 4×4/2 (32) → LeakyReLU(0.2)
 * → conv 4×4/2 (64) → LeakyReLU → flatten → [condition] → dense → sigmoid; no BatchNorm in D.
 * The widths keep the edge payload small and the edge forward pass near 1 ms (see the README).
 */
export function dcgan(options: DcganOptions = {}): ModelSpec {
  const latentDim = options.latentDim ?? 100
  const classes = options.classes ?? 0
  const [g0, g1] = options.gChannels ?? [64, 32]
  const [d0, d1] = options.dChannels ?? [32, 64]
  const condition = conditionLayers(classes)
  const dropout: LayerSpec[] = options.dDropout ? [{ kind: 'dropout', rate: options.dDropout }] : []
  const relu: ActivationSpec = { kind: 'activation', fn: 'relu' }
  const conv = (name: string, inChannels: number, filters: number, k: number, stride: 1 | 2) =>
    ({ kind: 'conv2d', name, inChannels, filters, kernelSize: k, stride, padding: 'same' }) as const
  return {
    name: classes > 0 ? 'cdcgan' : 'dcgan',
    latentDim,
    imageShape: [28, 28, 1],
    generator: {
      inputs: latentDim,
      layers: [
        ...condition,
        { kind: 'dense', name: 'g.dense0', inputs: latentDim + classes, units: 7 * 7 * g0 },
        { kind: 'reshape', shape: [7, 7, g0] },
        bn('g.bn0', g0),
        relu,
        { kind: 'upsample', factor: 2 },
        conv('g.conv1', g0, g1, 3, 1),
        bn('g.bn1', g1),
        relu,
        { kind: 'upsample', factor: 2 },
        conv('g.conv2', g1, 1, 3, 1),
        { kind: 'activation', fn: 'tanh' },
        { kind: 'flatten' },
      ],
    },
    discriminator: {
      inputs: 784,
      layers: [
        { kind: 'reshape', shape: [28, 28, 1] },
        conv('d.conv0', 1, d0, 4, 2),
        lrelu,
        ...dropout,
        conv('d.conv1', d0, d1, 4, 2),
        lrelu,
        ...dropout,
        { kind: 'flatten' },
        ...condition,
        { kind: 'dense', name: 'd.dense2', inputs: 7 * 7 * d1 + classes, units: 1 },
        { kind: 'activation', fn: options.critic ? 'linear' : 'sigmoid' },
      ],
    },
  }
}
