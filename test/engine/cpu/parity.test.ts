/**
 * @module test/engine/cpu/parity
 * The fused CPU step (engine/cpu) against the tfjs path (trainer/core/gan.ts on the wasm backend, the
 * reference): same initial state, same real batches, latents and labels (injected), a few steps;
 * losses, weights, moving BatchNorm statistics, Adam moments and the weight average agree up to
 * float32 summation order. Covers mlp and cgan, dSteps 2, label smoothing and the weight average.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCpuEngine } from '../../../engine/cpu/engine'
import { CpuEngineScopeError } from '../../../engine/cpu/network'
import { buildModelSpec } from '../../../trainer/core/architecture'
import { DEFAULT_CONFIG, type TrainConfig } from '../../../trainer/config'
import { loadCpuStepModule, createNodeThreadPool } from '../../../trainer/engines/cpu-threads'
import { createGan, disposeGan } from '../../../trainer/core/gan'
import { initBackend } from '../../../trainer/core/backend'
import { syntheticMnist } from '../../trainer/fixtures'
import { tfjsInputs, tfjsRun } from './tfjs-reference'

const COUNT = 64
const data = syntheticMnist(COUNT)

beforeAll(async () => {
  await initBackend('wasm')
})

// Tolerances (float32 with different summation orders on both sides; measured over 3–4 steps:
// see the figures printed by the test). As test/trainer/engines/webgpu-fused.test.ts:
// - losses and D accuracy: 1e-5 absolute;
// - weights, moving statistics, weight average: 1e-5 absolute (5 % of one Adam step at lr 2e-4;
//   a wrong gradient moves elements by a whole step);
// - Adam moments: 1e-4 of the tensor's largest |value|, except the moments of a bias feeding a
//   BatchNorm, whose gradient is exactly zero in exact arithmetic (the batch mean cancels it):
//   both sides hold rounding noise there, which must stay noise-sized (≤ 1e-8).
const LOSS_TOL = 1e-5
const WEIGHT_TOL = 1e-5
const MOMENT_RTOL = 1e-4
const NOISE = 1e-8
const CANCELLED = /^opt[GD]\.[mv]\.g\.dense[12]\.bias$/

const maxAbs = (x: Float32Array) => x.reduce((m, v) => Math.max(m, Math.abs(v)), 0)

describe('fused CPU step parity with the tfjs path', () => {
  let pool: ReturnType<typeof createNodeThreadPool> | undefined
  afterAll(() => pool?.close())

  it.each([
    // Batch 13: row counts that leave partial tiles (13 = 3·4 + 1, 26 = 6·4 + 2).
    ['mlp, batch 13, 1 thread', 4, 1, false, { model: 'mlp', batch: 13 }],
    [
      'cgan, dSteps 2, ema, label smoothing, 2 threads',
      3,
      2,
      false,
      { model: 'cgan', dSteps: 2, ema: 0.9, labelSmoothing: 0.1 },
    ],
    // The opt-in relaxed-SIMD build: fused or not, it stays within the same tolerances.
    ['mlp, the FMA build, 2 threads', 3, 2, true, { model: 'mlp' }],
  ] as const)(
    'should match on %s',
    async (_, steps, threads, fma, overrides) => {
      const config: TrainConfig = { ...DEFAULT_CONFIG, batch: 16, seed: 5, ...overrides }
      const ref = await tfjsRun(config, steps, data)
      const gan = createGan(config)
      pool = threads > 1 ? createNodeThreadPool(threads - 1) : undefined
      const engine = await createCpuEngine({
        model: buildModelSpec(config),
        options: config,
        module: loadCpuStepModule(fma),
        pool,
        inputs: tfjsInputs(gan, config, data),
        state: { step: 0, optimizerSteps: { g: 0, d: 0 }, tensors: ref.initial },
      })
      expect(engine.fma).toBe(fma)
      const losses: number[] = []
      for (let s = 0; s < steps; s++) {
        await engine.run(1)
        const l = await engine.readLosses()
        losses.push(l.dLoss, l.dAcc, l.gLoss)
      }
      const state = await engine.exportState()
      engine.dispose()
      pool = undefined
      disposeGan(gan)

      expect(state.step).toBe(steps)
      expect(state.optimizerSteps).toEqual({ g: steps, d: steps * config.dSteps })
      losses.forEach((x, i) =>
        expect(Math.abs(x - ref.losses[i]), `loss ${i}`).toBeLessThan(LOSS_TOL),
      )
      expect([...state.tensors.keys()].sort()).toEqual([...ref.tensors.keys()].sort())
      if (config.ema > 0)
        expect([...state.tensors.keys()].some((n) => n.startsWith('gAvg.'))).toBe(true)
      let worst = { weight: 0, moment: 0 }
      for (const [name, want] of ref.tensors) {
        const got = state.tensors.get(name)!
        let diff = 0
        for (let i = 0; i < want.length; i++) diff = Math.max(diff, Math.abs(got[i] - want[i]))
        if (CANCELLED.test(name)) {
          expect(maxAbs(got), name).toBeLessThan(NOISE)
          expect(maxAbs(want), name).toBeLessThan(NOISE)
        } else if (name.startsWith('opt')) {
          expect(diff, name).toBeLessThanOrEqual(MOMENT_RTOL * maxAbs(want))
          worst.moment = Math.max(worst.moment, diff / maxAbs(want))
        } else {
          expect(diff, name).toBeLessThan(WEIGHT_TOL)
          worst.weight = Math.max(worst.weight, diff)
        }
      }
      console.log(
        `${_}: weights ≤ ${worst.weight.toExponential(1)}, moments ≤ ${worst.moment.toExponential(1)} of scale`,
      )
      // The steps moved the weights: equal tensors would pass the checks above trivially.
      const before = ref.initial.get('g.dense3.kernel')!
      const after = state.tensors.get('g.dense3.kernel')!
      expect(maxAbs(after.map((x, i) => x - before[i]))).toBeGreaterThan(10 * WEIGHT_TOL)
    },
    180_000,
  )

  it('should refuse models and losses outside the tutorial MLPs with a clear message', async () => {
    const make = (overrides: Partial<TrainConfig>) => {
      const config = { ...DEFAULT_CONFIG, batch: 8, ...overrides }
      return createCpuEngine({
        model: buildModelSpec(config),
        options: config,
        module: loadCpuStepModule(),
        data: { ...data, count: COUNT },
      })
    }
    await expect(make({ model: 'dcgan' })).rejects.toThrow(
      /Expected a tutorial MLP for the fused CPU step, but got a reshape layer/,
    )
    await expect(make({ loss: 'wgan-gp' })).rejects.toThrow(CpuEngineScopeError)
    await expect(make({ dDropout: 0.3 })).rejects.toThrow(/--d-dropout 0/)
  })
})
