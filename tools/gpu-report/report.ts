/**
 * @module tools/gpu-report/report
 * The GPU report's record (tools/bench-gpu.ts fills it): the machine, step speed per engine,
 * batch and steps per submit, time to quality, and a recommendation, written as `report.json`
 * and `report.md` after every row, so a run cut short by its time limit still leaves what it
 * measured. A row that could not be measured (no PyTorch, no CUDA, a timeout) says why and holds
 * no figures: an absent row, never an invented one.
 */
import { join } from 'node:path'
import { writeFileAtomic } from '../../trainer/cli'

/** WebGPU calls per step (trainer/engines/webgpu-counters.ts), on the webgpu rows. */
export interface StepCounts {
  dispatches: number
  submits: number
  writes: number
  readbacks: number
  buffers: number
}

/** One cell of the step-speed table. */
export interface SpeedRow {
  /** `webgpu-fused`, `webgpu-tfjs`, `cpu (wasm)`, `pytorch-cuda`. */
  engine: string
  batch: number
  /** Steps per submit (the fused WebGPU step only). */
  stepsPerSubmit?: number
  msPerStep?: number
  imagesPerSec?: number
  counts?: StepCounts
  /** Why there are no figures. */
  absent?: string
}

/** One time-to-quality run: `seconds` of training, then the classifier's verdict. */
export interface QualityRow {
  model: string
  batch: number
  lr: number
  /** `base` (the tutorial's 2e-4) or `sqrt` (2e-4 · sqrt(batch / 64)). */
  lrRule: string
  seconds?: number
  steps?: number
  imagesSeen?: number
  dLoss?: number
  gLoss?: number
  /** Fréchet distance of the samples' classifier features to the MNIST test set's. */
  fid?: number
  /** How often the classifier sees the digit the sample was asked for. */
  conditionalAccuracy?: number
  inceptionScore?: number
  /** The 8×8 sample grid, relative to the report folder. */
  samples?: string
  absent?: string
}

/** Everything the report holds. */
export interface GpuReport {
  createdAt: string
  quick: boolean
  budgetSec: number
  environment: Record<string, string | number | boolean>
  speed: SpeedRow[]
  quality: QualityRow[]
  /** The floor of the FID at this sample count (training digits vs test digits). */
  fidFloor?: number
  recommendation: string[]
  notes: string[]
  wallTimeSec?: number
}

/** A report being filled: `save()` rewrites both files. */
export class ReportWriter {
  readonly report: GpuReport

  constructor(
    readonly dir: string,
    init: Pick<GpuReport, 'quick' | 'budgetSec'>,
  ) {
    this.report = {
      createdAt: new Date().toISOString(),
      ...init,
      environment: {},
      speed: [],
      quality: [],
      recommendation: [],
      notes: [],
    }
  }

  save(): void {
    writeFileAtomic(join(this.dir, 'report.json'), `${JSON.stringify(this.report, null, 2)}\n`)
    writeFileAtomic(join(this.dir, 'report.md'), formatReport(this.report))
  }
}

const fixed = (x: number | undefined, digits = 1): string =>
  x === undefined ? '' : x.toFixed(digits)

/** An aligned markdown table. */
function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`
  const rule = head.map((_, i) => (i === 0 ? '---' : '---:'))
  return [line(head), line(rule), ...rows.map(line)].join('\n')
}

/** The report as markdown: what `report.md` holds and what the script prints at the end. */
export function formatReport(r: GpuReport): string {
  const env = Object.entries(r.environment).map(([k, v]) => `- ${k}: ${v}`)
  const speed = table(
    ['engine', 'batch', 'K', 'ms/step', 'images/s', 'dispatch', 'submit', 'write', 'read-back'],
    r.speed.map((s) => [
      s.engine,
      String(s.batch),
      s.stepsPerSubmit === undefined ? '' : String(s.stepsPerSubmit),
      s.absent ? `absent: ${s.absent}` : fixed(s.msPerStep, 2),
      fixed(s.imagesPerSec, 0),
      ...(['dispatches', 'submits', 'writes', 'readbacks'] as const).map((k) =>
        s.counts ? fixed(s.counts[k], s.counts[k] < 1 && s.counts[k] > 0 ? 3 : 0) : '',
      ),
    ]),
  )
  const quality = table(
    [
      'model',
      'batch',
      'lr',
      'seconds',
      'steps',
      'images',
      'dLoss',
      'gLoss',
      'FID',
      'digit ok',
      'IS',
    ],
    r.quality.map((q) => [
      q.model,
      String(q.batch),
      `${q.lr.toExponential(1)} (${q.lrRule})`,
      q.absent ? `absent: ${q.absent}` : fixed(q.seconds, 0),
      q.steps === undefined ? '' : String(q.steps),
      q.imagesSeen === undefined ? '' : String(q.imagesSeen),
      fixed(q.dLoss, 3),
      fixed(q.gLoss, 3),
      fixed(q.fid, 1),
      q.conditionalAccuracy === undefined ? '' : `${(q.conditionalAccuracy * 100).toFixed(1)}%`,
      fixed(q.inceptionScore, 2),
    ]),
  )
  return [
    `# GPU report${r.quick ? ' (--quick)' : ''}`,
    '',
    `${r.createdAt}, budget ${r.budgetSec} s${r.wallTimeSec ? `, took ${r.wallTimeSec} s` : ''}`,
    '',
    '## Machine',
    '',
    ...env,
    '',
    '## Step speed',
    '',
    'One step: one D update and one G update. K: steps per submit. WebGPU calls per step.',
    '',
    speed,
    '',
    '## Time to quality',
    '',
    `Each run trains for a fixed wall time, then samples are scored by the MNIST classifier${
      r.fidFloor === undefined ? '' : ` (FID floor at this sample count: ${r.fidFloor.toFixed(1)})`
    }.`,
    '',
    quality,
    '',
    '## Recommendation',
    '',
    ...(r.recommendation.length > 0 ? r.recommendation.map((x) => `- ${x}`) : ['- none yet']),
    ...(r.notes.length > 0 ? ['', '## Notes', '', ...r.notes.map((x) => `- ${x}`)] : []),
    '',
  ].join('\n')
}
