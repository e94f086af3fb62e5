/**
 * @module trainer/train
 * Trains the tutorial GAN on MNIST and exports the generator.
 *
 *   npm run train -- --steps 200 --backend wasm --out runs/smoke      # pipeline check, ~1 min
 *   npm run train -- --out runs/mlp                                    # the tutorial defaults
 *   npm run train -- --resume runs/mlp --steps 20000                   # continue a run
 *   npm run train -- --loss wgan-gp --out runs/wgan                    # WGAN-GP critic
 *
 * Writes into --out: config.json, metrics.jsonl, samples/step-XXXXXX.png, checkpoint/, and at the
 * end generator/ (the edge's artifact), generator.onnx and losses.png. Ctrl-C checkpoints first.
 */
import { checkBalance, type BalanceCode } from './balance'
import {
  CheckpointError,
  loadCheckpoint,
  restoreGan,
  saveCheckpoint,
  type Checkpoint,
} from './checkpoint'
import { runMain, UsageError } from './cli'
import { isEntry } from './entry'
import {
  checkWebgpuStep,
  formatConfig,
  parseTrainArgs,
  resolveWebgpuStep,
  totalSteps,
  type TrainConfig,
} from './config'
import { BatchSampler, DataError, gatherBatch, loadMnist } from './data'
import { BN_BATCH, exportRun } from './export'
import { createGan, discriminatorStep, disposeGan, generatorStep } from './gan'
import { Progress } from './progress'
import {
  appendMetrics,
  defaultRunDir,
  prepareRunDir,
  resumeConfig,
  truncateMetrics,
  writeConfig,
  type MetricsRecord,
} from './run-dir'
import { writeSampleGrid } from './sample-grid'
import { BackendError, initBackend, tf } from './tf'

/** Training produced a non-finite loss or the backend failed mid-run. */
export class TrainingError extends Error {
  override name = 'TrainingError'
}

const IMAGE_SIZE = 784

async function main(): Promise<void> {
  const started = performance.now()
  // --- configuration (and the checkpoint it may continue) ----------------------------------------
  const parsed = parseTrainArgs(process.argv.slice(2))
  let config: TrainConfig = parsed.config
  let checkpoint: Checkpoint | undefined
  if (config.resume) {
    try {
      checkpoint = loadCheckpoint(config.resume)
    } catch (err) {
      if (err instanceof CheckpointError) throw new UsageError(err.message, { cause: err })
      throw err
    }
    config = resumeConfig(checkpoint.meta.config, parsed.explicit, config.resume)
    // The checkpoint may bring a model the fused step does not implement.
    if (parsed.explicit.webgpuStep) checkWebgpuStep(config)
  }
  config = { ...config, out: config.out || defaultRunDir() }
  const out = config.out
  // Checked before any work, but created only with the run's first file (writeConfig, after the
  // backend is up): a run that fails its checks leaves no empty folder.
  prepareRunDir(out, checkpoint !== undefined)

  // --- data --------------------------------------------------------------------------------------
  let data
  try {
    data = loadMnist('train', config.dataDir || undefined)
  } catch (err) {
    if (err instanceof DataError) throw new UsageError(err.message, { cause: err })
    throw err
  }
  const count = config.dataLimit > 0 ? Math.min(config.dataLimit, data.count) : data.count
  if (config.batch > count) {
    throw new UsageError(
      `Expected --batch to be at most the ${count} training images, but got ${config.batch}.`,
    )
  }
  const sampler = new BatchSampler(count, config.batch, config.seed)
  const steps = totalSteps(config, count)
  const startStep = checkpoint?.meta.step ?? 0
  if (checkpoint && startStep >= steps) {
    throw new UsageError(
      `Expected --steps above the checkpoint's step ${startStep}, but got ${steps}.`,
    )
  }

  // --- backend ----------------------------------------------------------------------------------
  let choice
  try {
    choice = await initBackend(config.backend)
  } catch (err) {
    if (err instanceof BackendError) throw new UsageError(err.message, { cause: err })
    throw err
  }
  let healthCheck = (): void => {}
  if (choice.backend === 'webgpu') {
    const { assertWebgpuHealthy, webgpuLimits } = await import('./webgpu')
    const limit = webgpuLimits()?.maxStorageBufferBindingSize ?? Infinity
    const largest = Math.max(2 * config.batch, BN_BATCH) * IMAGE_SIZE * 4 // [real; fake] batch, f32
    if (largest > limit) {
      throw new UsageError(
        `Expected --batch small enough for the adapter's ${limit}-byte buffers, but got ${config.batch}.`,
      )
    }
    healthCheck = assertWebgpuHealthy
  }
  console.log(`backend: ${choice.backend} (${choice.reason})`)
  console.log(`config:\n${formatConfig(config)}`)
  if (checkpoint) {
    console.log(
      `resuming ${config.resume} at step ${startStep}${
        checkpoint.meta.backend !== choice.backend
          ? ` (saved on ${checkpoint.meta.backend}; exact reproduction needs the same backend)`
          : ''
      }`,
    )
  }
  console.log(
    `data: ${count} training images; ${steps} steps of batch ${config.batch} × ${config.dSteps} D + 1 G`,
  )

  const gan = createGan(config, checkpoint?.model)
  if (checkpoint) restoreGan(gan, checkpoint)
  // The fused step trains its own copy of the weights; `sync` writes it back into `gan` before
  // anything reads it (sample grid, checkpoint, export).
  const engine =
    choice.backend === 'webgpu' && resolveWebgpuStep(config, choice.backend) === 'fused'
      ? await (await import('./webgpu-step')).WebgpuStep.create(gan, config.dSteps)
      : undefined
  if (choice.backend === 'webgpu') {
    const d = engine?.dispatches
    console.log(
      d
        ? `webgpu step: fused (${d.d} dispatches per D update, ${d.g} per G update)`
        : 'webgpu step: tfjs ops',
    )
  }
  let dirty = false
  const sync = async () => {
    if (engine && dirty) await engine.syncToGan()
    dirty = false
  }
  const realBatch = (index: number) => {
    const indices = sampler.indices(index)
    return {
      images: gatherBatch(data.images, indices),
      labels: gan.classes > 0 ? Int32Array.from(indices, (i) => data.labels[i]) : undefined,
    }
  }
  const tfjsStep = async (step: number) => {
    let dLoss = 0
    let dAcc = 0
    for (let k = 0; k < config.dSteps; k++) {
      const batch = realBatch(step * config.dSteps + k)
      const real = tf.tensor2d(batch.images, [config.batch, IMAGE_SIZE])
      const r = await discriminatorStep(gan, real, step, k, batch.labels)
      real.dispose()
      dLoss += r.dLoss / config.dSteps
      dAcc += r.dAcc / config.dSteps
    }
    const { gLoss } = await generatorStep(gan, step)
    return { dLoss, dAcc, gLoss }
  }
  writeConfig(out, config, choice.backend)
  const history: MetricsRecord[] = checkpoint
    ? truncateMetrics(config.resume, out, startStep)
    : truncateMetrics(out, out, -1)

  // --- the loop ----------------------------------------------------------------------------------
  let interrupted = false
  process.once('SIGINT', () => (interrupted = true))
  const progress = new Progress(steps, startStep, config.progress)
  const priorWall = checkpoint?.meta.wallTimeSec ?? 0
  const imagesPerStep = config.batch * config.dSteps
  const warnedAt = new Map<BalanceCode, number>()
  let sums = { dLoss: 0, dAcc: 0, gLoss: 0, n: 0 }
  let intervalStart = performance.now()
  let step = startStep
  const meta = () => ({
    step,
    config,
    backend: choice.backend,
    wallTimeSec: priorWall + (performance.now() - started) / 1000,
    imagesSeen: step * imagesPerStep,
  })

  while (step < steps && !interrupted) {
    const { dLoss, dAcc, gLoss } = engine
      ? await engine.step(
          step,
          Array.from({ length: config.dSteps }, (_, k) => realBatch(step * config.dSteps + k)),
        )
      : await tfjsStep(step)
    dirty = engine !== undefined
    // On wasm/cpu every await above settles as a microtask; yield a macrotask so Ctrl-C gets in.
    await new Promise((resolve) => setImmediate(resolve))
    healthCheck()
    if (!Number.isFinite(dLoss) || !Number.isFinite(gLoss)) {
      throw new TrainingError(
        `Expected finite losses, but got dLoss ${dLoss} gLoss ${gLoss} at step ${step + 1}.`,
      )
    }
    step += 1
    sums = {
      dLoss: sums.dLoss + dLoss,
      dAcc: sums.dAcc + dAcc,
      gLoss: sums.gLoss + gLoss,
      n: sums.n + 1,
    }
    progress.update(step, { dLoss, dAcc, gLoss })

    const last = step === steps
    let diversity: number | undefined
    if ((config.sampleEvery > 0 && step % config.sampleEvery === 0) || last) {
      await sync()
      diversity = await writeSampleGrid(out, gan, step)
    }
    if (step % config.logEvery === 0 || last) {
      const now = performance.now()
      const record: MetricsRecord = {
        step,
        dLoss: sums.dLoss / sums.n,
        dAcc: sums.dAcc / sums.n,
        gLoss: sums.gLoss / sums.n,
        msPerStep: (now - intervalStart) / sums.n,
        imagesSeen: step * imagesPerStep,
        elapsedSec: priorWall + (now - started) / 1000,
        ...(diversity !== undefined ? { diversity } : {}),
      }
      history.push(record)
      const warnings = checkBalance(history, { loss: config.loss }).filter(
        (w) => history.length - (warnedAt.get(w.code) ?? -Infinity) >= 10,
      )
      if (warnings.length > 0) record.warnings = warnings.map((w) => w.code)
      appendMetrics(out, record)
      progress.log(
        `step ${step}: dLoss ${record.dLoss.toFixed(4)} dAcc ${record.dAcc.toFixed(2)} ` +
          `gLoss ${record.gLoss.toFixed(4)} ${record.msPerStep.toFixed(1)}ms`,
      )
      for (const w of warnings) {
        warnedAt.set(w.code, history.length)
        progress.log(`warning: ${w.message}`)
      }
      sums = { dLoss: 0, dAcc: 0, gLoss: 0, n: 0 }
      intervalStart = performance.now()
    }
    if (config.checkpointEvery > 0 && step % config.checkpointEvery === 0 && !last) {
      await sync()
      await saveCheckpoint(out, gan, meta())
    }
  }
  progress.done()

  // --- checkpoint, then export (export re-estimates BN statistics in place) ----------------------
  await sync()
  engine?.dispose()
  await saveCheckpoint(out, gan, meta())
  if (interrupted) {
    console.log(
      `interrupted at step ${step}: checkpoint saved; continue with npm run train -- --resume ${out}`,
    )
    disposeGan(gan)
    process.exit(130)
  }
  const result = await exportRun(out, gan, { ...meta(), steps })
  const final = history[history.length - 1]
  console.log(
    `done: step ${steps} (${steps - startStep} steps in ${((performance.now() - started) / 1000).toFixed(1)}s); ` +
      `final dLoss ${final.dLoss.toFixed(4)} ` +
      `dAcc ${final.dAcc.toFixed(2)} gLoss ${final.gLoss.toFixed(4)}`,
  )
  console.log(
    `BatchNorm re-estimated over ${config.bnBatches}×${BN_BATCH} latents: inference vs training-mode mean |Δpixel| ` +
      `${result.bnAfter.meanAbsDiff.toFixed(4)} ` +
      `(with the moving statistics from training: ${result.bnBefore.meanAbsDiff.toFixed(4)})`,
  )
  console.log(
    `wrote ${out}/generator/, generator.onnx, losses.png, metrics.jsonl, samples/, checkpoint/`,
  )
  disposeGan(gan)
}

if (isEntry('train')) runMain(main)
