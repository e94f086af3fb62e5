/**
 * @module trainer/architecture
 * `--model` names → model specs. Each family is a function in shared/spec.ts; this table is the
 * one place the trainer maps a name and the loss to one of them.
 */
import { tutorialMlp, type ModelSpec } from '../shared/spec'
import type { TrainConfig } from './config'

/** The `--model` choices. */
export const MODEL_NAMES = ['mlp', 'cgan'] as const
export type ModelName = (typeof MODEL_NAMES)[number]

/** Digit classes of MNIST, for the conditional models. */
export const MNIST_CLASSES = 10

/**
 * The spec for a config; with `loss: 'wgan-gp'` D is a critic (no sigmoid).
 * @example buildModelSpec({ ...DEFAULT_CONFIG, model: 'cgan' }).name // 'cgan-mlp'
 */
export function buildModelSpec(
  config: Pick<TrainConfig, 'model' | 'dDropout' | 'loss'>,
): ModelSpec {
  const critic = config.loss === 'wgan-gp'
  switch (config.model) {
    case 'mlp':
      return tutorialMlp({ dDropout: config.dDropout, critic })
    case 'cgan':
      // PyTorch-GAN's cgan: the tutorial MLPs with the label joined to G's and D's inputs.
      return tutorialMlp({ dDropout: config.dDropout, critic, classes: MNIST_CLASSES })
  }
}
