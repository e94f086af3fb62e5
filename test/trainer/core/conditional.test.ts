/**
 * @module test/trainer/core/conditional
 * The conditional GAN (`--model cgan`): labels drawn per step are seeded and uniform, D and G
 * consume them, the critic's input gradient ignores them, and the exported artifact draws the
 * requested class the way tfjs does.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { createGenerator } from '../../../shared/inference/forward'
import { sampleLatents } from '../../../shared/latent/latent'
import { readArtifact } from '../../../trainer/export/artifact'
import { buildModelSpec } from '../../../trainer/core/architecture'
import { DEFAULT_CONFIG, parseTrainArgs, type TrainConfig } from '../../../trainer/config'
import { BatchSampler, gatherBatch } from '../../../trainer/run/data'
import { exportRun } from '../../../trainer/export/export'
import {
  createGan,
  discriminatorStep,
  disposeGan,
  drawLabels,
  generateImages,
  generatorStep,
  seedLabels,
  type Gan,
} from '../../../trainer/core/gan'
import { forward, inputGradient, oneHot } from '../../../trainer/core/models'
import { SEED_PURPOSE } from '../../../shared/latent/seed'
import { initBackend } from '../../../trainer/core/backend'
import { tf } from '../../../trainer/core/tf'
import { syntheticMnist } from '../fixtures'

const data = syntheticMnist(64)
const config: TrainConfig = { ...DEFAULT_CONFIG, model: 'cgan', batch: 32, seed: 21, bnBatches: 4 }

beforeAll(async () => {
  await initBackend('wasm')
})

async function steps(gan: Gan, n: number): Promise<number[]> {
  const sampler = new BatchSampler(64, gan.options.batch, gan.options.seed)
  const losses: number[] = []
  for (let step = 0; step < n; step++) {
    const indices = sampler.indices(step)
    const real = tf.tensor2d(gatherBatch(data.images, indices), [indices.length, 784])
    const labels = Int32Array.from(indices, (i) => data.labels[i])
    losses.push((await discriminatorStep(gan, real, step, 0, labels)).dLoss)
    real.dispose()
    losses.push((await generatorStep(gan, step)).gLoss)
  }
  return losses
}

describe('conditional GAN', () => {
  it('should build the cgan spec from --model cgan', () => {
    expect(parseTrainArgs(['--model', 'cgan']).config.model).toBe('cgan')
    expect(() => parseTrainArgs(['--model', 'vae'])).toThrow(/--model to be one of mlp, cgan/)
    expect(buildModelSpec(config).name).toBe('cgan-mlp')
    expect(createGan(config).classes).toBe(10)
    expect(createGan(DEFAULT_CONFIG).classes).toBe(0)
  })

  it('should draw seeded labels covering every class, none for an unconditional GAN', () => {
    const gan = createGan({ ...config, batch: 2000 })
    const a = drawLabels(gan, SEED_PURPOSE.gLabels, 5, 0)
    expect(Array.from(a)).toEqual(Array.from(drawLabels(gan, SEED_PURPOSE.gLabels, 5, 0)))
    expect(Array.from(a)).not.toEqual(Array.from(drawLabels(gan, SEED_PURPOSE.gLabels, 6, 0)))
    const counts = new Array(10).fill(0)
    for (const label of a) counts[label]++
    for (const c of counts) expect(c).toBeGreaterThan(150) // 200 expected per class
    expect(drawLabels(createGan(DEFAULT_CONFIG), SEED_PURPOSE.gLabels, 5, 0)).toHaveLength(0)
    disposeGan(gan)
  })

  it('should train with finite losses, deterministically, and require the real labels', async () => {
    const a = createGan(config)
    const b = createGan(config)
    const la = await steps(a, 3)
    expect(la.every(Number.isFinite)).toBe(true)
    expect(await steps(b, 3)).toEqual(la)
    const real = tf.zeros([32, 784]) as tf.Tensor2D
    await expect(discriminatorStep(a, real, 0)).rejects.toThrow(/real images' labels/)
    real.dispose()
    disposeGan(a)
    disposeGan(b)
  })

  it('should make D depend on the label it is shown', () => {
    const gan = createGan(config)
    const x = tf.tensor2d(gatherBatch(data.images, [0, 1, 2, 3]), [4, 784])
    const out = (labels: number[]) =>
      forward(gan.d, x, { training: false, labels: oneHot(Int32Array.from(labels), 10) }).dataSync()
    expect(Array.from(out([0, 1, 2, 3]))).not.toEqual(Array.from(out([5, 5, 5, 5])))
    expect(() => forward(gan.d, x, { training: false })).toThrow(/one-hot labels of 10 classes/)
    disposeGan(gan)
  })

  it('should give the critic input gradient that autodiff gives, ignoring the labels', () => {
    const gan = createGan({ ...config, loss: 'wgan-gp' })
    const x = tf.randomNormal([5, 784], 0, 1, 'float32', 3) as tf.Tensor2D
    const labels = oneHot(Int32Array.from([1, 3, 5, 7, 9]), 10)
    const analytic = inputGradient(gan.d, x, { training: false, labels })
    const auto = tf.grad((input: tf.Tensor) =>
      tf.sum(forward(gan.d, input as tf.Tensor2D, { training: false, labels })),
    )(x)
    expect(analytic.shape).toEqual([5, 784])
    const diff = tf.max(tf.abs(tf.sub(analytic, auto))).dataSync()[0]
    expect(diff).toBeLessThan(1e-5)
    disposeGan(gan)
  })

  it('should export an artifact that draws each requested class as tfjs does', async () => {
    const gan = createGan(config)
    await steps(gan, 2)
    const dir = mkdtempSync(join(tmpdir(), 'digit-gan-cgan-'))
    await exportRun(dir, gan, { config, backend: 'wasm', steps: 2, wallTimeSec: 1, imagesSeen: 64 })
    const generator = createGenerator(readArtifact(join(dir, 'generator')))
    expect(generator.classes).toBe(10)
    const n = 20
    const z = sampleLatents(0, n, 100)
    const labels = seedLabels(0, n, 10)!
    expect(Array.from(labels.slice(0, 12))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1])
    const tfjs = await generateImages(gan, z, false, labels)
    let max = 0
    for (let i = 0; i < n; i++) {
      const ts = generator.run(z.subarray(i * 100, (i + 1) * 100), labels[i])
      for (let j = 0; j < 784; j++) max = Math.max(max, Math.abs(ts[j] - tfjs[i * 784 + j]))
    }
    expect(max).toBeLessThan(1e-4)
    disposeGan(gan)
  })
})
