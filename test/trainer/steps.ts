/**
 * @module test/trainer/steps
 * The reference training loop of the trainer tests: trainer/core/gan.ts's steps on a small data
 * set, in the order trainer/engines/tfjs.ts runs them (per GAN step, `dSteps` D updates on the
 * batches of `BatchSampler(count, batch, seed)`, then one G update), but keeping the losses of
 * every update, so that two runs can be compared update by update; and those losses folded per GAN
 * step as an engine reports them, to compare a run with an engine's.
 */
import type { TrainConfig } from '../../trainer/config'
import {
  discriminatorStep,
  generatorStep,
  type DStepResult,
  type Gan,
} from '../../trainer/core/gan'
import { tf } from '../../trainer/core/tf'
import { BatchSampler, realBatches, type MnistSplit } from '../../trainer/run/data'

/** The losses of one GAN step: each D update's, then the G update's. */
export interface StepLosses {
  d: DStepResult[]
  gLoss: number
}

/**
 * Runs GAN steps `from`..`to − 1` of `gan` on `data` (labels go to a conditional GAN only).
 * @example const [first] = await tfjsSteps(gan, config, syntheticMnist(64), 0, 1)
 */
export async function tfjsSteps(
  gan: Gan,
  config: Pick<TrainConfig, 'batch' | 'seed' | 'dSteps'>,
  data: Pick<MnistSplit, 'images' | 'labels'>,
  from: number,
  to: number,
): Promise<StepLosses[]> {
  const sampler = new BatchSampler(data.labels.length, config.batch, config.seed)
  const batches = realBatches(data, sampler, gan.classes > 0)
  const out: StepLosses[] = []
  for (let step = from; step < to; step++) {
    const d: DStepResult[] = []
    for (let k = 0; k < config.dSteps; k++) {
      const batch = batches(step * config.dSteps + k)
      const real = tf.tensor2d(batch.images, [config.batch, 784])
      d.push(await discriminatorStep(gan, real, step, k, batch.labels))
      real.dispose()
    }
    out.push({ d, gLoss: (await generatorStep(gan, step)).gLoss })
  }
  return out
}

/**
 * Each GAN step's `[dLoss, dAcc, gLoss]` as a step engine's `readLosses` gives it for one step:
 * D's figures the mean of its updates, summed in update order as trainer/engines/tfjs.ts sums them.
 * @example const losses = engineLosses(await tfjsSteps(gan, config, data, 0, 4)) // 12 numbers
 */
export function engineLosses(steps: StepLosses[]): number[] {
  return steps.flatMap(({ d, gLoss }) => {
    let dLoss = 0
    let dAcc = 0
    for (const r of d) {
      dLoss += r.dLoss / d.length
      dAcc += r.dAcc / d.length
    }
    return [dLoss, dAcc, gLoss]
  })
}
