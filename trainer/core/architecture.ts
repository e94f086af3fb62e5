/**
 * @module trainer/core/architecture
 * `--model` names → model specs. Each family is a function in shared/model/spec.ts; this table is the
 * one place the trainer maps a name and the loss to one of them.
 */
import { type ModelSpec } from '../../shared/model/spec'
import { dcgan, tutorialMlp } from '../../shared/model/presets'
import { UsageError } from '../cli'

/** The `--model` choices. */
export const MODEL_NAMES = ['mlp', 'cgan', 'dcgan', 'cdcgan'] as const
export type ModelName = (typeof MODEL_NAMES)[number]

/** D's objective: the tutorial's BCE or the WGAN-GP critic. */
export type LossKind = 'bce' | 'wgan-gp'

/** The config keys that choose the architecture. */
export interface ArchitectureOptions {
  model: ModelName
  dDropout: number
  loss: LossKind
}

/** Digit classes of MNIST, for the conditional models. */
export const MNIST_CLASSES = 10

/**
 * The spec for a config; with `loss: 'wgan-gp'` D is a critic (no sigmoid).
 * @throws UsageError for a conv model with `loss: 'wgan-gp'`: the gradient penalty needs the
 *   critic's input gradient, which trainer/core/models.ts writes out for dense critics only.
 * @example buildModelSpec({ ...DEFAULT_CONFIG, model: 'cgan' }).name // 'cgan-mlp'
 */
export function buildModelSpec(config: ArchitectureOptions): ModelSpec {
  const critic = config.loss === 'wgan-gp'
  switch (config.model) {
    case 'mlp':
      return tutorialMlp({ dDropout: config.dDropout, critic })
    case 'cgan':
      // PyTorch-GAN's cgan: the tutorial MLPs with the label joined to G's and D's inputs.
      return tutorialMlp({ dDropout: config.dDropout, critic, classes: MNIST_CLASSES })
    case 'dcgan':
    case 'cdcgan': {
      if (critic) {
        throw new UsageError(
          `Expected --loss bce with --model ${config.model} (the gradient penalty is written ` +
            `out for dense critics only), but got wgan-gp.`,
        )
      }
      // Conditional: the label joins G's input and D's flattened conv features.
      const classes = config.model === 'cdcgan' ? MNIST_CLASSES : 0
      return dcgan({ dDropout: config.dDropout, classes })
    }
  }
}
