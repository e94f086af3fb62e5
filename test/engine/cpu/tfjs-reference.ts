/**
 * @module test/engine/cpu/tfjs-reference
 * The tfjs path (trainer/core/gan.ts, on the active backend) as the reference for the fused CPU step:
 * its state by checkpoint name, and the exact inputs it consumes (real batches from
 * BatchSampler, latents from the same seeded `tf.randomNormal` calls, labels from `drawLabels`),
 * packaged as engine/cpu's `StepInputs` so the engine trains on the same numbers.
 */
import type { Update, StepInputs } from '../../../engine/cpu/inputs'
import type { NamedTensors } from '../../../engine/step-engine'
import { mixSeed, SEED_PURPOSE } from '../../../shared/latent/seed'
import type { TrainConfig } from '../../../trainer/config'
import { BatchSampler, gatherBatch } from '../../../trainer/run/data'
import { createGan, disposeGan, drawLabels, type Gan } from '../../../trainer/core/gan'
import { tf } from '../../../trainer/core/tf'
import { engineLosses, tfjsSteps } from '../../trainer/steps'

/** Synthetic training images (test/trainer/fixtures.ts). */
export interface Images {
  images: Uint8Array
  labels: Uint8Array
}

/** Every tensor of a GAN by checkpoint name (trainer/run/checkpoint.ts). */
export async function ganState(gan: Gan): Promise<NamedTensors> {
  const out: NamedTensors = new Map()
  const put = async (name: string, v: tf.Variable) =>
    out.set(name, (await v.data()) as Float32Array)
  for (const net of [gan.g, gan.d]) for (const [name, v] of net.vars) await put(name, v)
  for (const [key, opt, net] of [
    ['optG', gan.optG, gan.g],
    ['optD', gan.optD, gan.d],
  ] as const) {
    const names = [...net.vars].filter(([, v]) => v.trainable).map(([n]) => n)
    for (const [i, name] of names.entries()) {
      await put(`${key}.m.${name}`, opt.m[i])
      await put(`${key}.v.${name}`, opt.v[i])
    }
  }
  for (const [name, v] of gan.gAverage?.vars ?? []) await put(`gAvg.${name}`, v)
  return out
}

/**
 * The inputs trainer/core/gan.ts draws for `config` (the GAN only supplies its class count), the
 * real batches sampled from all of `data`.
 */
export function tfjsInputs(gan: Gan, config: TrainConfig, data: Images): StepInputs {
  const sampler = new BatchSampler(data.labels.length, config.batch, config.seed)
  const purpose = (update: Update, kind: 'noise' | 'labels') =>
    update === 'd'
      ? kind === 'noise'
        ? SEED_PURPOSE.dNoise
        : SEED_PURPOSE.dLabels
      : kind === 'noise'
        ? SEED_PURPOSE.gNoise
        : SEED_PURPOSE.gLabels
  return {
    real(step, k) {
      const indices = sampler.indices(step * config.dSteps + k)
      return {
        images: gatherBatch(data.images, indices),
        labels: Int32Array.from(indices, (i) => data.labels[i]),
      }
    },
    latents(update, step, k) {
      const seed = mixSeed(config.seed, purpose(update, 'noise'), step, k)
      const t = tf.randomNormal([config.batch, gan.model.latentDim], 0, 1, 'float32', seed)
      const z = t.dataSync() as Float32Array
      t.dispose()
      return z
    },
    labels(update, step, k) {
      return drawLabels(gan, purpose(update, 'labels'), step, k)
    },
  }
}

/** A reference run: each step's [dLoss, dAcc, gLoss] and the final state. */
export interface ReferenceRun {
  losses: number[]
  tensors: NamedTensors
}

/**
 * `steps` GAN steps of the tfjs path from a fresh `createGan(config)` (test/trainer/steps.ts's
 * loop, on the batches {@link tfjsInputs} gives); `initial` receives the starting state (what the
 * engine must start from).
 */
export async function tfjsRun(
  config: TrainConfig,
  steps: number,
  data: Images,
): Promise<ReferenceRun & { initial: NamedTensors }> {
  const gan = createGan(config)
  const initial = await ganState(gan)
  const losses = engineLosses(await tfjsSteps(gan, config, data, 0, steps))
  const tensors = await ganState(gan)
  disposeGan(gan)
  return { losses, tensors, initial }
}
