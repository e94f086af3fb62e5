/**
 * @module test/trainer/run/checkpoint
 * Checkpoints round-trip every variable and optimizer slot, detect corruption, and a resumed run
 * reproduces the uninterrupted run's losses exactly (same backend).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  CheckpointError,
  hasCheckpoint,
  loadCheckpoint,
  restoreGan,
  saveCheckpoint,
} from '../../../trainer/run/checkpoint'
import { DEFAULT_CONFIG, type TrainConfig } from '../../../trainer/config'
import { createGan, disposeGan, type Gan } from '../../../trainer/core/gan'
import { readTensors } from '../../../trainer/core/models'
import { initBackend } from '../../../trainer/core/backend'
import { syntheticMnist } from '../fixtures'
import { tfjsSteps } from '../steps'

const data = syntheticMnist(48)
const config: TrainConfig = {
  ...DEFAULT_CONFIG,
  batch: 16,
  seed: 9,
  dSteps: 2,
  dDropout: 0.3,
  labelSmoothing: 0.1,
}

beforeAll(async () => {
  await initBackend('wasm')
})

/** Every D and G loss of steps `from`..`to − 1`, in order. */
async function train(gan: Gan, from: number, to: number): Promise<number[]> {
  const losses = await tfjsSteps(gan, config, data, from, to)
  return losses.flatMap(({ d, gLoss }) => [...d.map((r) => r.dLoss), gLoss])
}

const meta = (step: number) => ({
  step,
  config,
  backend: 'wasm',
  wallTimeSec: 1,
  imagesSeen: step * 32,
})

describe('checkpoint', () => {
  it('should reproduce the uninterrupted run after a resume', async () => {
    const straight = createGan(config)
    const expected = await train(straight, 0, 4)

    const first = createGan(config)
    const head = await train(first, 0, 2)
    const dir = mkdtempSync(join(tmpdir(), 'digit-gan-ckpt-'))
    await saveCheckpoint(dir, first, meta(2))
    disposeGan(first)

    const checkpoint = loadCheckpoint(dir)
    expect(checkpoint.meta.step).toBe(2)
    const resumed = createGan(checkpoint.meta.config, checkpoint.model)
    restoreGan(resumed, checkpoint)
    const tail = await train(resumed, 2, 4)
    expect([...head, ...tail]).toEqual(expected) // bit-exact, epochs reshuffle included (3 batches/epoch)
    const a = await readTensors(straight.g)
    const b = await readTensors(resumed.g)
    for (const [name, values] of a) expect(b.get(name)).toEqual(values)
    disposeGan(straight)
    disposeGan(resumed)
  })

  it('should replace the previous checkpoint atomically', async () => {
    const gan = createGan(config)
    const dir = mkdtempSync(join(tmpdir(), 'digit-gan-ckpt-'))
    expect(hasCheckpoint(dir)).toBe(false)
    await saveCheckpoint(dir, gan, meta(1))
    await saveCheckpoint(dir, gan, meta(2))
    expect(loadCheckpoint(dir).meta.step).toBe(2)
    expect(loadCheckpoint(dir).optimizerSteps).toEqual({ g: 0, d: 0 })
    disposeGan(gan)
  })

  it('should detect a corrupt or missing checkpoint and name the file', async () => {
    const gan = createGan(config)
    const dir = mkdtempSync(join(tmpdir(), 'digit-gan-ckpt-'))
    expect(() => loadCheckpoint(dir)).toThrow(/Expected a checkpoint at .*state\.json/)
    await saveCheckpoint(dir, gan, meta(1))
    const path = join(dir, 'checkpoint', 'tensors.bin')
    const bytes = readFileSync(path)
    bytes[100] ^= 0xff
    writeFileSync(path, bytes)
    expect(() => loadCheckpoint(dir)).toThrow(CheckpointError)
    expect(() => loadCheckpoint(dir)).toThrow(/tensors\.bin to have sha256/)
    writeFileSync(join(dir, 'checkpoint', 'state.json'), '{"format":')
    expect(() => loadCheckpoint(dir)).toThrow(/valid JSON in .*state\.json/)
    disposeGan(gan)
  })
})
