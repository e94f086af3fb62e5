/**
 * @module tools/gpu-report/quality
 * Time to quality for the GPU report: train for a fixed wall time on the webgpu backend (the
 * engine a training run gets there: the fused step for `cgan`), then score samples with the
 * MNIST classifier on wasm (trainer/eval/): FID against the test set, how often the digit asked
 * for is the digit drawn, Inception Score. Runs at several batch sizes and learning rates show
 * which GPU defaults reach a given quality soonest.
 *
 * The wall time starts once the engine is built (kernel compilation excluded, as it is paid once
 * per run) and covers the steps only; scoring is outside it.
 */
import { join } from 'node:path'
import { toGray } from '../../shared/inference/gray'
import { sampleLatents } from '../../shared/latent/latent'
import { DEFAULT_CONFIG, type TrainConfig } from '../../trainer/config'
import { initBackend } from '../../trainer/core/backend'
import { createGan, disposeGan, generateImages } from '../../trainer/core/gan'
import { writeGanState } from '../../trainer/core/gan-state'
import { createEngine } from '../../trainer/engines/create'
import type { Classifier } from '../../trainer/eval/classifier'
import { scoreImages } from '../../trainer/eval/eval'
import { frechetDistance, type GaussianStats } from '../../trainer/eval/fid'
import { conditionalAccuracy } from '../../trainer/eval/scores'
import { BatchSampler, realBatches, type MnistSplit } from '../../trainer/run/data'
import { writeSampleGrid } from '../../trainer/run/sample-grid'
import type { QualityRow } from './report'

const PIXELS = 784
/** A `run` call grows until it lasts about this long: time checks stay frequent. */
const CHUNK_MS = 250

/** What every quality run shares: the data, the classifier (on wasm) and the test set's stats. */
export interface QualityContext {
  train: MnistSplit
  classifier: Classifier
  real: GaussianStats
  /** Samples scored per run. */
  samples: number
  /** The report folder; each run's sample grid goes below it. */
  dir: string
  stepsPerSubmit: number
}

/** One run's settings. */
export interface QualityRun {
  model: TrainConfig['model']
  batch: number
  lr: number
  lrRule: string
  seconds: number
}

/**
 * Trains `run` for its wall time on webgpu, then scores it on wasm; leaves wasm active.
 * @throws Error when training produces non-finite losses.
 */
export async function qualityRun(ctx: QualityContext, run: QualityRun): Promise<QualityRow> {
  const config: TrainConfig = {
    ...DEFAULT_CONFIG,
    model: run.model,
    batch: run.batch,
    lrD: run.lr,
    lrG: run.lr,
    stepsPerSubmit: ctx.stepsPerSubmit,
  }
  await initBackend('webgpu')
  const gan = createGan(config)
  const sampler = new BatchSampler(ctx.train.count, config.batch, config.seed)
  const data = {
    split: ctx.train,
    count: ctx.train.count,
    batches: realBatches(ctx.train, sampler, gan.classes > 0),
  }
  const engine = await createEngine(gan, config, 'webgpu', data, 0)
  let losses = { dLoss: NaN, gLoss: NaN }
  let state
  const t0 = performance.now()
  try {
    let chunk = 1
    let lastRead = t0
    while (performance.now() - t0 < run.seconds * 1000) {
      const t = performance.now()
      await engine.run(chunk)
      if (performance.now() - t < CHUNK_MS && chunk < 1024) chunk *= 2
      if (performance.now() - lastRead > 2000) {
        const l = await engine.readLosses()
        losses = { dLoss: l.dLoss / l.steps, gLoss: l.gLoss / l.steps }
        if (!Number.isFinite(losses.dLoss + losses.gLoss)) {
          throw new Error(`Expected finite losses, but got ${JSON.stringify(losses)}.`)
        }
        lastRead = performance.now()
      }
    }
    const l = await engine.readLosses()
    if (l.steps > 0) losses = { dLoss: l.dLoss / l.steps, gLoss: l.gLoss / l.steps }
    state = await engine.exportState()
  } finally {
    engine.dispose()
    disposeGan(gan)
  }
  const seconds = (performance.now() - t0) / 1000

  // Scoring on wasm, in a GAN built there from the trained state.
  await initBackend('wasm')
  const scored = createGan(config)
  try {
    writeGanState(scored, state)
    const name = `quality-${run.model}-b${run.batch}-${run.lrRule}`
    await writeSampleGrid(join(ctx.dir, name), scored, state.step)
    const n = ctx.samples
    const labels = Int32Array.from({ length: n }, (_, i) => i % Math.max(1, scored.classes))
    const z = sampleLatents(1_000_000, n, scored.model.latentDim)
    const images = await generateImages(scored, z, false, scored.classes > 0 ? labels : undefined)
    const gray = new Uint8Array(n * PIXELS)
    for (let i = 0; i < n; i++) {
      gray.set(toGray(images.subarray(i * PIXELS, (i + 1) * PIXELS)), i * PIXELS)
    }
    const scores = await scoreImages(ctx.classifier, gray, n)
    return {
      model: run.model,
      batch: run.batch,
      lr: run.lr,
      lrRule: run.lrRule,
      seconds,
      steps: state.step,
      imagesSeen: state.step * run.batch,
      ...losses,
      fid: frechetDistance(scores.stats, ctx.real),
      ...(scored.classes > 0
        ? { conditionalAccuracy: conditionalAccuracy(labels, scores.predicted).overall }
        : {}),
      inceptionScore: scores.inceptionScore,
      samples: `${name}/samples/step-${String(state.step).padStart(6, '0')}.png`,
    }
  } finally {
    disposeGan(scored)
  }
}
