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
 * end generator/ (the edge's artifact), generator.onnx and losses.svg. Ctrl-C checkpoints first.
 *
 * The steps themselves run in a step engine (engine/step-engine.ts, chosen by
 * trainer/engines/create.ts); this file only sequences them. The tfjs GAN built here is the run's
 * record: sample grids, checkpoints and the export read it, so it is brought up to date from the
 * engine's state before each of them.
 */
import type { StepEngine } from '../engine/step-engine'
import { runMain, UsageError } from './cli'
import { formatConfig, parseTrainArgs, totalSteps, type TrainConfig } from './config'
import { createGan, disposeGan, type Gan } from './core/gan'
import { writeGanState } from './core/gan-state'
import { BackendError, initBackend, type BackendChoice } from './core/backend'
import { checkWebgpuStep, createEngine, probeBackends, type EngineData } from './engines/create'
import { isEntry } from './entry'
import { BN_BATCH, exportRun } from './export/export'
import { checkBalance, type BalanceCode } from '../shared/train/balance'
import {
  CheckpointError,
  loadCheckpoint,
  restoreGan,
  saveCheckpoint,
  type Checkpoint,
  type CheckpointMeta,
} from './run/checkpoint'
import { BatchSampler, DataError, loadMnist, realBatches, type MnistSplit } from './run/data'
import { Progress } from './run/progress'
import {
  appendMetrics,
  defaultRunDir,
  prepareRunDir,
  resumeConfig,
  truncateMetrics,
  writeConfig,
  type MetricsRecord,
} from './run/run-dir'
import { writeSampleGrid } from './run/sample-grid'

/** Training produced a non-finite loss or the backend failed mid-run. */
export class TrainingError extends Error {
  override name = 'TrainingError'
}

const IMAGE_SIZE = 784
/** A run call lasts about this long, so Ctrl-C and the progress bar stay responsive. */
const CHUNK_MS = 250

/** A parsed, checked run: its config, data and the checkpoint it continues. */
interface RunSetup {
  config: TrainConfig
  checkpoint?: Checkpoint
  data: MnistSplit
  count: number
  steps: number
  startStep: number
}

/** Parses the flags, loads a resumed checkpoint and the data, and checks they fit together. */
function setUp(argv: string[]): RunSetup {
  const parsed = parseTrainArgs(argv)
  let config: TrainConfig = parsed.config
  checkWebgpuStep(config)
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
  // Checked before any work, but created only with the run's first file (writeConfig, after the
  // backend is up): a run that fails its checks leaves no empty folder.
  prepareRunDir(config.out, checkpoint !== undefined)

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
  const steps = totalSteps(config, count)
  const startStep = checkpoint?.meta.step ?? 0
  if (checkpoint && startStep >= steps) {
    throw new UsageError(
      `Expected --steps above the checkpoint's step ${startStep}, but got ${steps}.`,
    )
  }
  return { config, checkpoint, data, count, steps, startStep }
}

/** Initializes the tfjs backend; on webgpu checks the batch fits the adapter's buffers. */
async function startBackend(
  config: TrainConfig,
  data: Pick<EngineData, 'split' | 'count'>,
): Promise<{
  choice: BackendChoice
  healthCheck: () => void
}> {
  let choice
  try {
    // `auto` on a machine with a GPU times the run's own steps there and on the CPU.
    choice = await initBackend(config.backend, (adapter) => probeBackends(config, data, adapter))
  } catch (err) {
    if (err instanceof BackendError) throw new UsageError(err.message, { cause: err })
    throw err
  }
  if (choice.backend !== 'webgpu') return { choice, healthCheck: () => {} }
  const { assertWebgpuHealthy, webgpuLimits } = await import('./engines/dawn')
  const limit = webgpuLimits()?.maxStorageBufferBindingSize ?? Infinity
  const largest = Math.max(2 * config.batch, BN_BATCH) * IMAGE_SIZE * 4 // [real; fake] batch, f32
  if (largest > limit) {
    throw new UsageError(
      `Expected --batch small enough for the adapter's ${limit}-byte buffers, but got ${config.batch}.`,
    )
  }
  return { choice, healthCheck: assertWebgpuHealthy }
}

/** What the loop needs besides the engine. */
interface LoopContext {
  config: TrainConfig
  gan: Gan
  steps: number
  startStep: number
  history: MetricsRecord[]
  healthCheck: () => void
  meta: (step: number) => CheckpointMeta
}

/**
 * Runs the engine from `startStep` to `steps` (or until Ctrl-C), logging, sampling and
 * checkpointing at their intervals; returns the last step completed and whether it was stopped.
 */
async function trainLoop(
  engine: StepEngine,
  c: LoopContext,
): Promise<{ step: number; interrupted: boolean }> {
  const { config, gan, steps, history } = c
  let interrupted = false
  process.once('SIGINT', () => (interrupted = true))
  const progress = new Progress(steps, c.startStep, config.progress)
  const imagesPerStep = config.batch * config.dSteps
  const warnedAt = new Map<BalanceCode, number>()
  const every = (n: number, step: number) => n > 0 && step % n === 0
  let sums = { dLoss: 0, dAcc: 0, gLoss: 0, n: 0 }
  let latest = { dLoss: NaN, dAcc: NaN, gLoss: NaN }
  let intervalStart = performance.now()
  let msPerStep = 0
  let step = c.startStep
  // The tfjs record is current until the engine runs again.
  let recordStep = step
  const syncRecord = async () => {
    if (recordStep !== engine.step) writeGanState(gan, await engine.exportState())
    recordStep = engine.step
  }
  // Losses are read on demand: at each log and before each checkpoint, where the NaN check runs.
  const readLosses = async () => {
    const t = await engine.readLosses()
    if (!Number.isFinite(t.dLoss) || !Number.isFinite(t.gLoss)) {
      throw new TrainingError(
        `Expected finite losses, but got dLoss ${t.dLoss} gLoss ${t.gLoss} in the ${t.steps} ` +
          `steps up to step ${step}.`,
      )
    }
    sums = { dLoss: sums.dLoss + t.dLoss, dAcc: sums.dAcc + t.dAcc, gLoss: sums.gLoss + t.gLoss, n: sums.n + t.steps }
    if (t.steps > 0) latest = { dLoss: t.dLoss / t.steps, dAcc: t.dAcc / t.steps, gLoss: t.gLoss / t.steps }
  }

  while (step < steps && !interrupted) {
    // Up to the next event (log, sample, checkpoint, end), in calls of about CHUNK_MS.
    const toEvent = Math.min(
      ...[config.logEvery, config.sampleEvery, config.checkpointEvery]
        .filter((n) => n > 0)
        .map((n) => n - (step % n)),
      steps - step,
    )
    const n = Math.max(1, Math.min(toEvent, msPerStep > 0 ? Math.floor(CHUNK_MS / msPerStep) : 1))
    const t0 = performance.now()
    await engine.run(n)
    msPerStep = (performance.now() - t0) / n
    // On wasm/cpu every await above settles as a microtask; yield a macrotask so Ctrl-C gets in.
    await new Promise((resolve) => setImmediate(resolve))
    c.healthCheck()
    step += n
    const last = step === steps
    const log = every(config.logEvery, step) || last
    const checkpoint = every(config.checkpointEvery, step) && !last
    if (log || checkpoint) await readLosses()
    progress.update(step, latest)

    let diversity: number | undefined
    if (every(config.sampleEvery, step) || last) {
      await syncRecord()
      diversity = await writeSampleGrid(config.out, gan, step)
    }
    if (log) {
      const now = performance.now()
      const record: MetricsRecord = {
        step,
        dLoss: sums.dLoss / sums.n,
        dAcc: sums.dAcc / sums.n,
        gLoss: sums.gLoss / sums.n,
        msPerStep: (now - intervalStart) / sums.n,
        imagesSeen: step * imagesPerStep,
        elapsedSec: c.meta(step).wallTimeSec,
        ...(diversity !== undefined ? { diversity } : {}),
      }
      history.push(record)
      const warnings = checkBalance(history, { loss: config.loss }).filter(
        (w) => history.length - (warnedAt.get(w.code) ?? -Infinity) >= 10,
      )
      if (warnings.length > 0) record.warnings = warnings.map((w) => w.code)
      appendMetrics(config.out, record)
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
    if (checkpoint) {
      await syncRecord()
      await saveCheckpoint(config.out, gan, c.meta(step))
    }
  }
  progress.done()
  await syncRecord()
  return { step, interrupted }
}

async function main(): Promise<void> {
  const started = performance.now()
  const { config, checkpoint, data, count, steps, startStep } = setUp(process.argv.slice(2))
  const out = config.out

  // --- backend ----------------------------------------------------------------------------------
  const { choice, healthCheck } = await startBackend(config, { split: data, count })
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

  // --- the GAN (the run's record) and the engine that trains it -------------------------------
  const gan = createGan(config, checkpoint?.model)
  if (checkpoint) restoreGan(gan, checkpoint)
  const sampler = new BatchSampler(count, config.batch, config.seed)
  const batches = realBatches(data, sampler, gan.classes > 0)
  const engine = await createEngine(
    gan,
    config,
    choice.backend,
    { split: data, count, batches },
    startStep,
  )
  console.log(`${choice.backend === 'webgpu' ? 'webgpu step' : 'step engine'}: ${engine.description}`)
  writeConfig(out, config, choice.backend)
  const history: MetricsRecord[] = checkpoint
    ? truncateMetrics(config.resume, out, startStep)
    : truncateMetrics(out, out, -1)

  // --- the loop ----------------------------------------------------------------------------------
  const priorWall = checkpoint?.meta.wallTimeSec ?? 0
  const meta = (step: number): CheckpointMeta => ({
    step,
    config,
    backend: choice.backend,
    wallTimeSec: priorWall + (performance.now() - started) / 1000,
    imagesSeen: step * config.batch * config.dSteps,
  })
  const { step, interrupted } = await trainLoop(engine, {
    config,
    gan,
    steps,
    startStep,
    history,
    healthCheck,
    meta,
  })
  engine.dispose()

  // --- checkpoint, then export (export re-estimates BN statistics in place) ----------------------
  await saveCheckpoint(out, gan, meta(step))
  if (interrupted) {
    console.log(
      `interrupted at step ${step}: checkpoint saved; continue with npm run train -- --resume ${out}`,
    )
    disposeGan(gan)
    process.exit(130)
  }
  const result = await exportRun(out, gan, { ...meta(step), steps })
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
    `wrote ${out}/generator/, generator.onnx, losses.svg, metrics.jsonl, samples/, checkpoint/`,
  )
  disposeGan(gan)
}

if (isEntry(import.meta.url, 'train')) runMain(main)
