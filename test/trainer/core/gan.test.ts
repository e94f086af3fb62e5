/**
 * @module test/trainer/core/gan
 * Training steps on wasm: finite losses, no leaked tensors, determinism per seed, and both
 * losses (BCE and WGAN-GP) moving the networks.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG, resolveConfig, type TrainConfig } from '../../../trainer/config'
import { BatchSampler, gatherBatch } from '../../../trainer/run/data'
import {
  createGan,
  discriminatorStep,
  disposeGan,
  generatorStep,
  type Gan,
} from '../../../trainer/core/gan'
import { readTensors } from '../../../trainer/core/models'
import { initBackend } from '../../../trainer/core/backend'
import { tf } from '../../../trainer/core/tf'
import { syntheticMnist } from '../fixtures'
import { tfjsSteps } from '../steps'

const data = syntheticMnist(64)

beforeAll(async () => {
  await initBackend('wasm')
})

/** Runs `steps` D+G steps from `from`; per step: each D update's loss and accuracy, G's loss. */
async function run(
  gan: Gan,
  config: TrainConfig,
  from: number,
  steps: number,
): Promise<number[][]> {
  const losses = await tfjsSteps(gan, config, data, from, from + steps)
  return losses.map(({ d, gLoss }) => [...d.flatMap((r) => [r.dLoss, r.dAcc]), gLoss])
}

const small: TrainConfig = { ...DEFAULT_CONFIG, batch: 16, seed: 5 }

describe('GAN steps', () => {
  it('should return finite losses without leaking tensors', async () => {
    const gan = createGan(small)
    await run(gan, small, 0, 1) // warm-up allocates nothing persistent beyond the GAN, but be safe
    const before = tf.memory().numTensors
    const losses = await run(gan, small, 1, 3)
    expect(tf.memory().numTensors).toBe(before)
    for (const row of losses) for (const x of row) expect(Number.isFinite(x)).toBe(true)
    expect(losses[0][0]).toBeGreaterThan(0.3) // BCE of an untrained D is near ln 2
    expect(losses[0][0]).toBeLessThan(1.2)
    disposeGan(gan)
  })

  it('should give the same losses for the same seed and different ones for another seed', async () => {
    const a = createGan(small)
    const b = createGan(small)
    const c = createGan({ ...small, seed: 6 })
    const la = await run(a, small, 0, 3)
    expect(await run(b, small, 0, 3)).toEqual(la)
    expect(await run(c, { ...small, seed: 6 }, 0, 3)).not.toEqual(la)
    ;[a, b, c].forEach(disposeGan)
  })

  it('should update the moving BatchNorm statistics only in the generator step', async () => {
    const gan = createGan(small)
    const mean0 = (await readTensors(gan.g)).get('g.bn1.movingMean')!
    const real = tf.tensor2d(
      gatherBatch(data.images, new BatchSampler(64, 16, 5).indices(0)),
      [16, 784],
    )
    await discriminatorStep(gan, real, 0)
    real.dispose()
    expect((await readTensors(gan.g)).get('g.bn1.movingMean')).toEqual(mean0)
    await generatorStep(gan, 0)
    expect((await readTensors(gan.g)).get('g.bn1.movingMean')).not.toEqual(mean0)
    disposeGan(gan)
  })

  it('should train a WGAN-GP critic with its paper defaults', async () => {
    const config = resolveConfig({ loss: 'wgan-gp', batch: 16, seed: 5, dSteps: 2 })
    expect([config.lrD, config.beta1, config.beta2]).toEqual([1e-4, 0, 0.9])
    const gan = createGan(config)
    expect(gan.model.discriminator.layers.at(-1)).toEqual({ kind: 'activation', fn: 'linear' })
    const before = tf.memory().numTensors
    const losses = await run(gan, config, 0, 2)
    expect(tf.memory().numTensors).toBe(before)
    for (const row of losses) for (const x of row) expect(Number.isFinite(x)).toBe(true)
    // Untrained critic: the penalty term dominates and is positive.
    expect(losses[0][0]).toBeGreaterThan(0)
    disposeGan(gan)
  })
})
