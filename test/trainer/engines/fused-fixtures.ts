/**
 * @module test/trainer/engines/fused-fixtures
 * What the fused WebGPU step's tests share: a tiny member of the tutorial MLP family (the same
 * layer pattern, narrow layers, so hundreds of steps fit in a test on software WebGPU), and the
 * inputs trainer/core/gan.ts draws for a step, in the form the fused step's host-input mode takes.
 */
import type { HostInputs } from '../../../engine/webgpu/fused-step'
import type { ModelSpec } from '../../../shared/model/spec'
import type { TrainConfig } from '../../../trainer/config'
import { drawLabels, type Gan } from '../../../trainer/core/gan'
import { mixSeed, SEED_PURPOSE } from '../../../shared/latent/seed'
import { tf } from '../../../trainer/core/tf'
import { tinySpec } from '../../edge/fixture-model'
import type { RealBatches } from '../../../trainer/run/data'

/**
 * G: z(8) [+ one-hot] → 16 → 32 (BatchNorm) → 784 tanh (the golden-test fixtures' generator);
 * D: 784 [+ one-hot] → 32 → 1 sigmoid.
 * @example createGan(config, tinyMlp())
 */
export function tinyMlp(classes = 0): ModelSpec {
  return tinySpec(classes > 0 ? 'tiny-cgan' : 'tiny-mlp', classes, [
    { kind: 'dense', name: 'd.dense0', inputs: 784 + classes, units: 32 },
    { kind: 'activation', fn: 'leakyRelu', alpha: 0.2 },
    { kind: 'dense', name: 'd.dense1', inputs: 32, units: 1 },
  ])
}

/**
 * The inputs of each GAN step exactly as trainer/core/gan.ts draws them (tfjs's seeded normal
 * sampler, the seeded labels) and the real batches the tfjs path gets, for the fused step's
 * host-input mode: both paths then see the same numbers.
 */
export function tfjsInputs(
  gan: Gan,
  config: Pick<TrainConfig, 'dSteps' | 'seed' | 'batch'>,
  batches: RealBatches,
): HostInputs {
  const latents = (purpose: number, step: number, k: number) => {
    const seed = mixSeed(config.seed, purpose, step, k)
    const t = tf.randomNormal([config.batch, gan.model.latentDim], 0, 1, 'float32', seed)
    const z = t.dataSync() as Float32Array // drawn on the CPU; never uploaded
    t.dispose()
    return z
  }
  return (step) => ({
    d: Array.from({ length: config.dSteps }, (_, k) => {
      const real = batches(step * config.dSteps + k)
      return {
        real: real.images,
        realLabels: real.labels,
        z: latents(SEED_PURPOSE.dNoise, step, k),
        zLabels: drawLabels(gan, SEED_PURPOSE.dLabels, step, k),
      }
    }),
    g: {
      z: latents(SEED_PURPOSE.gNoise, step, 0),
      zLabels: drawLabels(gan, SEED_PURPOSE.gLabels, step, 0),
    },
  })
}
