/**
 * @module test/trainer/export/export
 * Export: BatchNorm re-estimation makes inference-mode samples match training-mode ones, and the
 * written artifact (folder and single file), run by the edge's TS forward pass, matches the tfjs
 * generator.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { createGenerator } from '../../../shared/inference/forward'
import { sampleLatents } from '../../../shared/latent/latent'
import { decodeModelFile } from '../../../shared/model/model-file'
import { readArtifact } from '../../../trainer/export/artifact'
import { DEFAULT_CONFIG, type TrainConfig } from '../../../trainer/config'
import { BatchSampler, gatherBatch } from '../../../trainer/run/data'
import { batchNormCheck, exportRun, reestimateBatchNorm } from '../../../trainer/export/export'
import {
  createGan,
  discriminatorStep,
  disposeGan,
  generateImages,
  generatorStep,
  type Gan,
} from '../../../trainer/core/gan'
import { initBackend } from '../../../trainer/core/backend'
import { tf } from '../../../trainer/core/tf'
import { syntheticMnist } from '../fixtures'

const config: TrainConfig = { ...DEFAULT_CONFIG, batch: 32, seed: 3, bnBatches: 8 }
let gan: Gan

beforeAll(async () => {
  await initBackend('wasm')
  const data = syntheticMnist(64)
  gan = createGan(config)
  const sampler = new BatchSampler(64, 32, 3)
  // A few steps with a high learning rate so the BN statistics are far from their init.
  for (let step = 0; step < 6; step++) {
    const real = tf.tensor2d(gatherBatch(data.images, sampler.indices(step)), [32, 784])
    await discriminatorStep(gan, real, step)
    real.dispose()
    await generatorStep(gan, step)
  }
})

describe('export', () => {
  it('should make inference-mode samples match training-mode ones after BN re-estimation', async () => {
    const before = await batchNormCheck(gan)
    await reestimateBatchNorm(gan, config.bnBatches)
    const after = await batchNormCheck(gan)
    // Pixels live in [-1, 1]; 0.05 mean |Δ| is about 6 grey levels of 255. The floor is the
    // training-mode side's own noise: 256 samples estimate the batch statistics.
    console.log(
      `BN check: mean |Δ| ${before.meanAbsDiff.toFixed(4)} with the moving statistics from ` +
        `training, ${after.meanAbsDiff.toFixed(4)} re-estimated`,
    )
    expect(after.meanAbsDiff).toBeLessThan(0.05)
    expect(after.meanAbsDiff).toBeLessThan(before.meanAbsDiff)
  })

  it('should write an artifact whose TS forward pass matches tfjs within 1e-4', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'digit-gan-export-'))
    const info = { config, backend: 'wasm', steps: 6, wallTimeSec: 1, imagesSeen: 192 }
    const result = await exportRun(dir, gan, info, config.dtype, { singleFile: true })
    expect(result.manifest.training).toMatchObject({ steps: 6, backend: 'wasm', imagesSeen: 192 })
    for (const f of [
      'generator/manifest.json',
      'generator/weights.bin',
      'generator.onnx',
      'losses.svg',
      'generator.dgm',
    ]) {
      expect(existsSync(join(dir, f))).toBe(true)
    }
    const artifact = readArtifact(join(dir, 'generator'))
    // --single-file: the same manifest and tensors in one file.
    const single = decodeModelFile(readFileSync(join(dir, 'generator.dgm')))
    expect(single.manifest).toEqual(artifact.manifest)
    expect(single.tensors).toEqual(artifact.tensors)
    const generator = createGenerator(artifact)
    const z = sampleLatents(0, 32, 100)
    const expected = await generateImages(gan, z)
    let worst = 0
    for (let i = 0; i < 32; i++) {
      const image = generator.run(z.subarray(i * 100, (i + 1) * 100))
      for (let p = 0; p < 784; p++)
        worst = Math.max(worst, Math.abs(image[p] - expected[i * 784 + p]))
    }
    expect(worst).toBeLessThan(1e-4)
    disposeGan(gan)
  })
})
