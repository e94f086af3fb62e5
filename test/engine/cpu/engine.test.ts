/**
 * @module test/engine/cpu/engine
 * The fused CPU step on its own: bit-identical results at 1, 2 and 3 threads; a run resumed from
 * exportState equals the uninterrupted run bit for bit; exportState → importState round-trips; the
 * seeded production inputs are the tfjs path's real batches and labels; fresh weights follow the
 * documented init.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createCpuEngine, type CpuEngine } from '../../../engine/cpu/engine'
import { seededInputs, type StepInputs } from '../../../engine/cpu/inputs'
import { OPS } from '../../../engine/cpu/ops'
import type { EngineState } from '../../../engine/step-engine'
import { tutorialMlp } from '../../../shared/model/presets'
import { buildModelSpec } from '../../../trainer/core/architecture'
import { DEFAULT_CONFIG, type TrainConfig } from '../../../trainer/config'
import { createNodeThreadPool, loadCpuStepModule } from '../../../trainer/engines/cpu-threads'
import { BatchSampler, gatherBatch } from '../../../trainer/run/data'
import { createGan, disposeGan, drawLabels } from '../../../trainer/core/gan'
import { SEED_PURPOSE } from '../../../shared/latent/seed'
import { syntheticMnist } from '../../trainer/fixtures'

const COUNT = 64
const data = { ...syntheticMnist(COUNT), count: COUNT }
// Batch 13 leaves partial tiles; cgan, two D updates, label smoothing and the weight average
// exercise every op of the plan.
const CONFIG: TrainConfig = {
  ...DEFAULT_CONFIG,
  model: 'cgan',
  batch: 13,
  seed: 9,
  dSteps: 2,
  ema: 0.9,
  labelSmoothing: 0.1,
}

const engines: CpuEngine[] = []
afterEach(() => {
  for (const e of engines.splice(0)) e.dispose()
})

async function engine(threads: number, state?: EngineState, fma = false): Promise<CpuEngine> {
  const e = await createCpuEngine({
    model: buildModelSpec(CONFIG),
    options: CONFIG,
    module: loadCpuStepModule(fma),
    data,
    pool: threads > 1 ? createNodeThreadPool(threads - 1) : undefined,
    state,
  })
  engines.push(e)
  return e
}

function expectSameBits(a: EngineState, b: EngineState): void {
  expect(a.step).toBe(b.step)
  expect(a.optimizerSteps).toEqual(b.optimizerSteps)
  expect([...a.tensors.keys()]).toEqual([...b.tensors.keys()])
  for (const [name, x] of a.tensors) {
    const y = b.tensors.get(name)!
    const same = Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(
      Buffer.from(y.buffer, y.byteOffset, y.byteLength),
    )
    expect(same, name).toBe(true)
  }
}

describe('fused CPU step', () => {
  it.each([
    ['', false],
    [' (the FMA build)', true],
  ])(
    'should give bit-identical losses and state at 1, 2 and 3 threads%s',
    async (_, fma) => {
      const runs = []
      for (const threads of [1, 2, 3]) {
        const e = await engine(threads, undefined, fma)
        expect(e.description).toContain(`${threads} thread`)
        await e.run(3)
        runs.push({ losses: await e.readLosses(), state: await e.exportState() })
      }
      expect(runs[0].losses.steps).toBe(3)
      expect(Number.isFinite(runs[0].losses.dLoss)).toBe(true)
      for (const r of runs.slice(1)) {
        expect(r.losses).toEqual(runs[0].losses)
        expectSameBits(r.state, runs[0].state)
      }
    },
    120_000,
  )

  it('should resume bit-exactly from an exported state', async () => {
    const straight = await engine(2)
    await straight.run(4)
    await straight.readLosses()
    const first = await engine(1)
    await first.run(2)
    const saved = await first.exportState()
    expect(saved.step).toBe(2)
    const resumed = await engine(2, saved)
    expect(resumed.step).toBe(2)
    await resumed.run(2)
    expectSameBits(await resumed.exportState(), await straight.exportState())
  }, 120_000)

  it('should round-trip exportState through importState', async () => {
    const a = await engine(1)
    await a.run(1)
    const state = await a.exportState()
    const b = await engine(1)
    await b.importState(state)
    expectSameBits(await b.exportState(), state)
    // A state without the weight average (saved with --ema 0) starts it at the weights.
    const noAverage = new Map([...state.tensors].filter(([n]) => !n.startsWith('gAvg.')))
    await b.importState({ ...state, tensors: noAverage })
    const back = await b.exportState()
    expect(back.tensors.get('gAvg.g.dense3.kernel')).toEqual(state.tensors.get('g.dense3.kernel'))
    await expect(b.importState({ ...state, tensors: new Map() })).rejects.toThrow(
      /Expected tensor g\.dense0\.kernel with 14080 values, but got none/,
    )
  }, 60_000)

  it("should fail with the failing thread's error instead of hanging when a thread traps", async () => {
    const e = await engine(2)
    // A product of two 8-column panels whose second panel stores past the memory.
    const end = Math.ceil(e.layout.bytes / 65536) * 65536
    const words = new Int32Array(48)
    const args = [0, 64, 4, 0, 64, end - 32, 64, 1, 1, 16, 0, 0, 0, 0, 0]
    words[0] = OPS.gemmBcast.code
    words.set(args, 1)
    words[16] = OPS.barrier.code
    // Whichever thread claims the bad panel fails; the other leaves the barrier.
    await expect(e.probe(words.buffer)).rejects.toThrow(
      /a thread failed: (helper thread 1: )?memory access out of bounds/,
    )
    await expect(e.run(1)).rejects.toThrow(/a thread failed/)
  }, 60_000)

  it('should draw the latents in the module exactly as their JavaScript twin', async () => {
    // An odd latent size: the last pair of a row loses its second value.
    const model = tutorialMlp({ latentDim: 7, classes: 10 })
    const make = (inputs?: StepInputs) =>
      createCpuEngine({
        model,
        options: CONFIG,
        module: loadCpuStepModule(),
        data,
        pool: createNodeThreadPool(1),
        inputs,
      })
    const inModule = await make()
    const shape = { ...CONFIG, latentDim: 7, classes: 10 }
    const twin = await make(seededInputs(data, shape))
    engines.push(inModule, twin)
    await inModule.run(2)
    await twin.run(2)
    expectSameBits(await inModule.exportState(), await twin.exportState())
    expect(await inModule.readLosses()).toEqual(await twin.readLosses())
  }, 60_000)

  it('should draw the real batches and labels the tfjs path draws', () => {
    const inputs = seededInputs(data, {
      seed: CONFIG.seed,
      batch: CONFIG.batch,
      dSteps: CONFIG.dSteps,
      latentDim: 100,
      classes: 10,
    })
    const sampler = new BatchSampler(COUNT, CONFIG.batch, CONFIG.seed)
    const gan = createGan(CONFIG)
    for (const [step, k] of [
      [0, 0],
      [0, 1],
      [7, 1],
    ]) {
      const indices = sampler.indices(step * CONFIG.dSteps + k)
      const real = inputs.real(step, k)
      expect(real.images).toEqual(gatherBatch(data.images, indices))
      expect(real.labels).toEqual(Int32Array.from(indices, (i) => data.labels[i]))
      expect(inputs.labels('d', step, k)).toEqual(drawLabels(gan, SEED_PURPOSE.dLabels, step, k))
      expect(inputs.labels('g', step, 0)).toEqual(drawLabels(gan, SEED_PURPOSE.gLabels, step, 0))
    }
    disposeGan(gan)
    const z = inputs.latents('d', 0, 0)
    expect(z).toHaveLength(CONFIG.batch * 100)
    expect(inputs.latents('d', 0, 0)).toEqual(z)
    expect(inputs.latents('d', 0, 1)).not.toEqual(z)
    expect(inputs.latents('g', 0, 0)).not.toEqual(z)
  })

  it('should start from seeded PyTorch-style weights', async () => {
    const { tensors } = await (await engine(1)).exportState()
    const again = await (await engine(1)).exportState()
    expectSameBits(again, { step: 0, optimizerSteps: { g: 0, d: 0 }, tensors })
    const kernel = tensors.get('d.dense0.kernel')!
    const bound = 1 / Math.sqrt(794)
    const largest = kernel.reduce((m, x) => Math.max(m, Math.abs(x)), 0)
    expect(largest).toBeLessThanOrEqual(bound)
    expect(largest).toBeGreaterThan(0.99 * bound)
    expect(tensors.get('g.bn1.gamma')!.every((x) => x === 1)).toBe(true)
    expect(tensors.get('g.bn1.movingVariance')!.every((x) => x === 1)).toBe(true)
    expect(tensors.get('gAvg.g.dense0.kernel')).toEqual(tensors.get('g.dense0.kernel'))
    expect(tensors.get('optD.v.d.dense2.bias')).toEqual(new Float32Array(1))
  })
})
