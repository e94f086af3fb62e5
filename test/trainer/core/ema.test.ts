/**
 * @module test/trainer/core/ema
 * The weight average (`--ema`): its update rule, its place in checkpoints (saved, restored, and
 * started from the weights when a resume switches it on), and that the export ships it.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { readArtifact } from '../../../trainer/export/artifact'
import { loadCheckpoint, restoreGan, saveCheckpoint } from '../../../trainer/run/checkpoint'
import { DEFAULT_CONFIG, parseTrainArgs, type TrainConfig } from '../../../trainer/config'
import { BatchSampler, gatherBatch } from '../../../trainer/run/data'
import { exportRun } from '../../../trainer/export/export'
import { createGan, discriminatorStep, disposeGan, generatorStep, type Gan } from '../../../trainer/core/gan'
import { readTensors } from '../../../trainer/core/models'
import { initBackend } from '../../../trainer/core/backend'
import { tf } from '../../../trainer/core/tf'
import { syntheticMnist } from '../fixtures'

const data = syntheticMnist(32)
const config: TrainConfig = { ...DEFAULT_CONFIG, batch: 16, seed: 4, ema: 0.9, bnBatches: 2 }

beforeAll(async () => {
  await initBackend('wasm')
})

async function step(gan: Gan, s: number): Promise<void> {
  const sampler = new BatchSampler(32, 16, gan.options.seed)
  const real = tf.tensor2d(gatherBatch(data.images, sampler.indices(s)), [16, 784])
  await discriminatorStep(gan, real, s)
  real.dispose()
  await generatorStep(gan, s)
}

async function averaged(gan: Gan): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>()
  for (const [name, v] of gan.gAverage!.vars) out.set(name, (await v.data()) as Float32Array)
  return out
}

describe('weight average', () => {
  it('should parse --ema and keep it off by default', () => {
    expect(parseTrainArgs(['--ema', '0.999']).config.ema).toBe(0.999)
    expect(parseTrainArgs([]).config.ema).toBe(0)
    expect(() => parseTrainArgs(['--ema', '1'])).toThrow(/--ema/)
    expect(createGan(DEFAULT_CONFIG).gAverage).toBeUndefined()
  })

  it('should follow avg ← decay·avg + (1 − decay)·w after each generator step', async () => {
    const gan = createGan(config)
    const w0 = await readTensors(gan.g)
    expect((await averaged(gan)).get('g.dense0.kernel')).toEqual(w0.get('g.dense0.kernel'))
    await step(gan, 0)
    const w1 = await readTensors(gan.g)
    const avg = await averaged(gan)
    expect([...avg.keys()]).toEqual(gan.g.trainable.map((v) => [...gan.g.vars].find(([, x]) => x === v)![0]))
    for (const name of ['g.dense0.kernel', 'g.bn1.gamma', 'g.dense3.bias']) {
      const a = avg.get(name)!
      const want = w0.get(name)!.map((x, i) => 0.9 * x + 0.1 * w1.get(name)![i])
      for (let i = 0; i < a.length; i += 97) expect(a[i]).toBeCloseTo(want[i], 6)
      expect(Array.from(a)).not.toEqual(Array.from(w1.get(name)!))
    }
    disposeGan(gan)
  })

  it('should round-trip through a checkpoint, and start at the weights when a resume adds it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'digit-gan-ema-'))
    const gan = createGan(config)
    for (let s = 0; s < 3; s++) await step(gan, s)
    const meta = { step: 3, config, backend: 'wasm', wallTimeSec: 1, imagesSeen: 48 }
    await saveCheckpoint(dir, gan, meta)
    const restored = createGan(config)
    restoreGan(restored, loadCheckpoint(dir))
    expect(await averaged(restored)).toEqual(await averaged(gan))

    const plainDir = mkdtempSync(join(tmpdir(), 'digit-gan-ema-'))
    const plain = createGan({ ...config, ema: 0 })
    await step(plain, 0)
    await saveCheckpoint(plainDir, plain, { ...meta, config: { ...config, ema: 0 } })
    const switched = createGan(config)
    restoreGan(switched, loadCheckpoint(plainDir))
    const weights = await readTensors(plain.g)
    for (const [name, a] of await averaged(switched)) expect(a).toEqual(weights.get(name))
    for (const g of [gan, restored, plain, switched]) disposeGan(g)
  })

  it('should export the averaged weights', async () => {
    const gan = createGan(config)
    for (let s = 0; s < 2; s++) await step(gan, s)
    const avg = await averaged(gan)
    const live = await readTensors(gan.g)
    const dir = mkdtempSync(join(tmpdir(), 'digit-gan-ema-'))
    await exportRun(dir, gan, { config, backend: 'wasm', steps: 2, wallTimeSec: 1, imagesSeen: 32 })
    const exported = readArtifact(join(dir, 'generator')).tensors.get('g.dense0.kernel')!
    expect(exported).toEqual(avg.get('g.dense0.kernel'))
    expect(exported).not.toEqual(live.get('g.dense0.kernel'))
    disposeGan(gan)
  })
})
