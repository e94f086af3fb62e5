/**
 * @module test/trainer/engines/webgpu-fused
 * The fused WebGPU step (engine/webgpu/fused-step.ts, through trainer/engines/webgpu-fused.ts)
 * against the tfjs path (trainer/core/gan.ts on the wasm backend, the reference): same init, and
 * — in the fused step's host-input mode — the same real batches, seeded latents and labels; a
 * few steps; losses, weights, Adam moments, moving BatchNorm statistics and the weight average
 * agree up to float32 rounding (summation order; the Adam bias corrections, which the fused step
 * computes on the device in float32). Where the random streams differ (the device draws its own),
 * test/trainer/engines/webgpu-device-step.test.ts compares the loss curves statistically.
 * Skips, saying why, where no WebGPU adapter exists (see webgpu-setup.ts), or fails with
 * DIGIT_GAN_STRICT=1 (CI).
 */
import { afterAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG, type TrainConfig } from '../../../trainer/config'
import { BatchSampler, realBatches } from '../../../trainer/run/data'
import { buildModelSpec } from '../../../trainer/core/architecture'
import { createGan, disposeGan, type Gan } from '../../../trainer/core/gan'
import { initBackend } from '../../../trainer/core/backend'
import { tf } from '../../../trainer/core/tf'
import { planStep } from '../../../engine/webgpu/plan'
import { syntheticMnist } from '../fixtures'
import { engineLosses, tfjsSteps } from '../steps'
import { tfjsInputs } from './fused-fixtures'
import { startWebgpu, WEBGPU_TIMEOUT_MS } from './webgpu-setup'

const skipReason = await startWebgpu('fused WebGPU step tests')

const COUNT = 64
const data = syntheticMnist(COUNT)

type Run = { losses: number[]; tensors: Map<string, Float32Array> }

/** Every tensor the step changes, by checkpoint-like name. */
async function snapshot(gan: Gan): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>()
  const put = async (name: string, v: tf.Variable) =>
    out.set(name, (await v.data()) as Float32Array)
  for (const net of [gan.g, gan.d]) for (const [name, v] of net.vars) await put(name, v)
  for (const [key, opt, net] of [
    ['optG', gan.optG, gan.g],
    ['optD', gan.optD, gan.d],
  ] as const) {
    for (const [i, v] of net.trainable.entries()) {
      const name = [...net.vars].find(([, w]) => w === v)![0]
      await put(`${key}.m.${name}`, opt.m[i])
      await put(`${key}.v.${name}`, opt.v[i])
    }
  }
  for (const [name, v] of gan.gAverage?.vars ?? []) await put(`gAvg.${name}`, v)
  return out
}

function maxAbs(x: Float32Array): number {
  return x.reduce((m, v) => Math.max(m, Math.abs(v)), 0)
}

/** `steps` GAN steps on the tfjs path of the current backend (test/trainer/steps.ts's loop). */
async function tfjsRun(config: TrainConfig, steps: number): Promise<Run> {
  const gan = createGan(config)
  const losses = engineLosses(await tfjsSteps(gan, config, data, 0, steps))
  const tensors = await snapshot(gan)
  disposeGan(gan)
  return { losses, tensors }
}

/**
 * The same steps through the fused engine (webgpu backend) in its host-input mode, fed the latents,
 * labels and real batches the tfjs path draws, through the step-engine seam.
 */
async function fusedRun(config: TrainConfig, steps: number): Promise<Run> {
  const { createWebgpuStep } = await import('../../../trainer/engines/webgpu-fused')
  const { assertWebgpuHealthy } = await import('../../../trainer/engines/dawn')
  const gan = createGan(config)
  const sampler = new BatchSampler(COUNT, config.batch, config.seed)
  const host = tfjsInputs(gan, config, realBatches(data, sampler, gan.classes > 0))
  const engine = await createWebgpuStep(gan, config, { host })
  disposeGan(gan)
  const losses: number[] = []
  for (let step = 0; step < steps; step++) {
    await engine.run(1)
    const r = await engine.readLosses()
    expect(r.steps).toBe(1)
    losses.push(r.dLoss, r.dAcc, r.gLoss)
  }
  const state = await engine.exportState()
  assertWebgpuHealthy()
  expect([state.step, state.optimizerSteps.d, state.optimizerSteps.g]).toEqual([
    steps,
    steps * config.dSteps,
    steps,
  ])
  engine.dispose()
  return { losses, tensors: state.tensors }
}

/** Largest |a − b| per tensor, and the largest |b|. */
function maxDiffs(a: Map<string, Float32Array>, b: Map<string, Float32Array>) {
  return [...b].map(([name, ref]) => {
    const got = a.get(name)!
    let diff = 0
    let scale = 0
    for (let i = 0; i < ref.length; i++) {
      diff = Math.max(diff, Math.abs(got[i] - ref[i]))
      scale = Math.max(scale, Math.abs(ref[i]))
    }
    return { name, diff, scale }
  })
}

// Tolerances, from float32 with a different summation order (tiled matMuls, per-feature loops)
// on both sides; measured against wasm over 3-4 steps: losses ≤ 1.2e-7, weights ≤ 4.4e-6,
// moments ≤ 1.9e-6 of their tensor's scale, the cancelled moments below ≤ 6.4e-10.
// - Losses and D accuracy: 1e-5 absolute.
// - Weights, moving statistics, weight average: 1e-5 absolute, 5 % of one Adam step at lr 2e-4;
//   a wrong gradient moves elements by a whole step. Adam is blind to a gradient's scale, hence:
// - Adam moments: 1e-4 of the tensor's largest |value|. Except the moments of a bias that feeds
//   a BatchNorm: its gradient is exactly zero in exact arithmetic (the batch mean cancels it), so
//   both paths hold rounding noise there; they must stay noise-sized (≤ 1e-8) on both;
//   a real gradient there would be orders of magnitude larger.
const LOSS_TOL = 1e-5
const WEIGHT_TOL = 1e-5
const MOMENT_RTOL = 1e-4
const NOISE = 1e-8
const CANCELLED = /^opt[GD]\.[mv]\.g\.dense[12]\.bias$/

afterAll(async () => {
  await initBackend('wasm')
})

describe('fused webgpu step scope', () => {
  it('should refuse models outside the tutorial MLPs with a clear message', () => {
    const options = {
      batch: 8,
      dSteps: 1,
      labelSmoothing: 0,
      lrD: 2e-4,
      lrG: 2e-4,
      beta1: 0.5,
      beta2: 0.999,
    }
    const plan = { ...options, epsilon: 1e-7, ema: 0 }
    expect(() => planStep(buildModelSpec({ ...DEFAULT_CONFIG, model: 'dcgan' }), plan)).toThrow(
      /Expected a tutorial MLP for the fused WebGPU step, but got a reshape layer/,
    )
    const dropout = buildModelSpec({ ...DEFAULT_CONFIG, dDropout: 0.3 })
    expect(() => planStep(dropout, plan)).toThrow(/but got a dropout layer/)
    const critic = buildModelSpec({ ...DEFAULT_CONFIG, loss: 'wgan-gp' })
    expect(() => planStep(critic, plan)).toThrow(/but got a linear activation after d\.dense2/)
    const cgan = planStep(buildModelSpec({ ...DEFAULT_CONFIG, model: 'cgan' }), plan)
    expect([cgan.dUpdate.length, cgan.gUpdate.length, cgan.classes]).toEqual([16, 23, 10])
  })
})

describe.skipIf(skipReason !== '')('fused webgpu step', { timeout: WEBGPU_TIMEOUT_MS }, () => {
  it.each([
    ['mlp', 4, { model: 'mlp' }],
    [
      'cgan, dSteps 2, ema, label smoothing',
      3,
      { model: 'cgan', dSteps: 2, ema: 0.9, labelSmoothing: 0.1 },
    ],
  ] as const)(
    'should match the tfjs path on %s',
    async (_, steps, overrides) => {
      const config: TrainConfig = { ...DEFAULT_CONFIG, batch: 16, seed: 5, ...overrides }
      await initBackend('webgpu')
      const fused = await fusedRun(config, steps)
      await initBackend('wasm')
      const ref = await tfjsRun(config, steps)
      expect(fused.losses).toHaveLength(3 * steps)
      fused.losses.forEach((x, i) => expect(Math.abs(x - ref.losses[i])).toBeLessThan(LOSS_TOL))
      expect([...fused.tensors.keys()].sort()).toEqual([...ref.tensors.keys()].sort())
      const diffs = maxDiffs(fused.tensors, ref.tensors)
      if (config.ema > 0) expect(diffs.some((d) => d.name.startsWith('gAvg.'))).toBe(true)
      for (const { name, diff, scale } of diffs) {
        if (CANCELLED.test(name)) {
          expect(maxAbs(fused.tensors.get(name)!), name).toBeLessThan(NOISE)
          expect(maxAbs(ref.tensors.get(name)!), name).toBeLessThan(NOISE)
        } else if (name.startsWith('opt')) {
          expect(diff, name).toBeLessThanOrEqual(MOMENT_RTOL * scale)
        } else {
          expect(diff, name).toBeLessThan(WEIGHT_TOL)
        }
      }
      // The step changed the weights: equal tensors would pass the checks above trivially.
      const init = createGan(config)
      const before = init.g.vars.get('g.dense3.kernel')!.dataSync()
      disposeGan(init)
      const after = fused.tensors.get('g.dense3.kernel')!
      expect(maxAbs(after.map((x, i) => x - before[i]))).toBeGreaterThan(10 * WEIGHT_TOL)
    },
    180_000,
  )
})
