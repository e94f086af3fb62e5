/**
 * @module tools/bench-train
 * Training speed per backend and batch size: ms per step (one D update + one G update) and
 * images per second (real images consumed by D per second).
 *
 *   npm run bench:train                                  # every backend that works here, batch 64 and 256
 *   npm run bench:train -- --backends wasm --batches 64,512 --steps 20
 *   npm run bench:train -- --backends webgpu --counters  # + WebGPU calls per step
 *   npm run bench:train -- --backends wasm --threads 2   # tfjs-wasm, fused CPU ×1 and ×2, torch
 *   npm run bench:train -- --backends wasm --fma         # + the opt-in relaxed-SIMD FMA build
 *   npm run bench:train -- --backends wasm --python .venv/bin/python  # PyTorch rows from that Python
 *
 * On webgpu both engines get a row: `webgpu` (tfjs ops, trainer/core/gan.ts) and `webgpu-fused` (the
 * fused step, engine/webgpu/fused-step.ts; `npm run bench:gpu` is the fuller GPU report). With wasm come the fused CPU step (engine/cpu) at 1
 * and `--threads` threads (default: the machine's cores), measured with tfjs-wasm in `--rounds`
 * interleaved rounds (the best of each), the GFLOPS of its products against the SIMD ceiling, and
 * the PyTorch rows from tools/torch_step.py (`--torch-steps`, in the same rounds) where `--python`
 * (default `python3`) has torch
 * (tools/bench-cpu.ts); `--fma` adds rows for the opt-in relaxed-SIMD build.
 *
 * Synthetic data (the numbers do not depend on pixel values) and the tutorial model, each engine
 * driven as training drives it (`run`, then one read of the losses). Each cell: 3 warm-up steps
 * (kernel compilation, buffer pools), then the mean over `--steps` steps.
 * `--counters` also counts, per timed step, the host-side WebGPU calls (dispatches, submits, buffer
 * creations, uploads, read-backs; trainer/engines/webgpu-counters.ts) on the webgpu backend.
 */
import { firstLine, parseNumber, runMain, UsageError } from '../trainer/cli'
import { isEntry } from '../trainer/entry'
import { Xoshiro128 } from '../shared/latent/rng'
import { textTable } from '../trainer/text-table'
import { DEFAULT_CONFIG, type TrainConfig } from '../trainer/config'
import { kebab, parseFlags, type FlagTable } from '../trainer/flags'
import { createGan, disposeGan } from '../trainer/core/gan'
import { BACKENDS, initBackend, type BackendName } from '../trainer/core/backend'
import { tf } from '../trainer/core/tf'
import { createEngine, type EngineData } from '../trainer/engines/create'
import type { WebgpuCounts } from '../trainer/engines/webgpu-counters'
import { BatchSampler, realBatches } from '../trainer/run/data'

const WARMUP = 3

/** The engines of a webgpu run (`--webgpu-step`). */
export type StepEngineChoice = 'tfjs' | 'fused'

/** One measured cell of the table. */
export interface BenchResult {
  backend: string
  batch: number
  msPerStep: number
  imagesPerSec: number
  /** WebGPU calls per step, with `--counters` on the webgpu backend. */
  counts?: WebgpuCounts
}

/** What one `benchStep` measured. */
export interface StepTiming {
  msPerStep: number
  /** Per-step WebGPU calls over the timed steps, when counting was asked for. */
  counts?: WebgpuCounts
}

/** Options of one `benchStep` cell besides the batch size. */
export interface BenchOptions {
  steps: number
  /** Count the WebGPU calls of the timed steps (webgpu only). */
  counters?: boolean
  /** `fused`: the fused WebGPU step (webgpu only); `tfjs`: the backend's own engine. */
  engine?: StepEngineChoice
  /** Steps per submit of the fused WebGPU step. */
  stepsPerSubmit?: number
  /** The architecture (default `mlp`). */
  model?: TrainConfig['model']
  /** Untimed steps first (default 3): kernel compilation, buffer pools, the first submits. */
  warmup?: number
}

/**
 * `count` synthetic training images (bytes from a seeded generator; a step's time does not depend
 * on pixel values), labels cycling through the digits, and their batches for the tfjs ops.
 */
export function syntheticData(count: number, batch: number): EngineData {
  const rng = new Xoshiro128(1)
  const images = Uint8Array.from({ length: count * 784 }, () => rng.nextUint32() & 255)
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10)
  const sampler = new BatchSampler(count, batch, 1)
  return { split: { images, labels }, count, batches: realBatches({ images, labels }, sampler, true) }
}

/**
 * Times `steps` GAN steps (one D update + one G update each) of the tutorial GAN at `batch` on the
 * current backend, through the engine a training run would use (trainer/engines/create.ts), driven
 * as trainer/train.ts drives it: `run(steps)`, then one `readLosses`. With `counters` (webgpu)
 * also counts the WebGPU calls of the timed steps.
 */
export async function benchStep(batch: number, o: BenchOptions): Promise<StepTiming> {
  // Loaded only when asked for: the counters wrap Dawn's prototypes, which plain runs never touch.
  const wgc = o.counters ? await import('../trainer/engines/webgpu-counters') : undefined
  const config: TrainConfig = {
    ...DEFAULT_CONFIG,
    batch,
    model: o.model ?? 'mlp',
    webgpuStep: o.engine ?? 'tfjs',
    // The tfjs rows time the tfjs ops on every backend; the fused CPU step has rows of its own.
    cpuStep: 'tfjs',
    stepsPerSubmit: o.stepsPerSubmit ?? DEFAULT_CONFIG.stepsPerSubmit,
  }
  const gan = createGan(config)
  // Two batches per epoch: the tfjs ops gather a fresh batch every update, as in training.
  const engine = await createEngine(gan, config, tf.getBackend(), syntheticData(2 * batch, batch), 0)
  try {
    await engine.run(o.warmup ?? WARMUP)
    await engine.readLosses()
    wgc?.installWebgpuCounters()
    wgc?.resetWebgpuCounters()
    const t0 = performance.now()
    await engine.run(o.steps)
    const losses = await engine.readLosses()
    const ms = (performance.now() - t0) / o.steps
    const counts = wgc ? wgc.perStep(wgc.readWebgpuCounters(), o.steps) : undefined
    if (!Number.isFinite(losses.dLoss) || !Number.isFinite(losses.gLoss)) {
      throw new Error(`Expected finite losses in the benchmark, but got ${JSON.stringify(losses)}.`)
    }
    return { msPerStep: ms, counts }
  } finally {
    wgc?.uninstallWebgpuCounters()
    engine.dispose()
    disposeGan(gan)
  }
}

/** Formats results as an aligned text table. */
export function formatTable(results: BenchResult[]): string {
  // Count columns only when some cell was counted: the plain table stays as it was.
  const counted = results.some((r) => r.counts)
  const countCells = (r: BenchResult) => {
    if (!counted) return []
    if (!r.counts) return ['', '', '', '', '']
    const c = r.counts
    return [c.dispatches, c.submits, c.buffers, c.mappedUploads + c.writes, c.readbacks].map((x) =>
      x.toFixed(0),
    )
  }
  const rows = [
    [
      'backend',
      'batch',
      'ms/step',
      'images/s',
      ...(counted
        ? ['dispatch/step', 'submit/step', 'createBuffer/step', 'upload/step', 'mapAsync/step']
        : []),
    ],
    ...results.map((r) => [
      r.backend,
      String(r.batch),
      r.msPerStep.toFixed(1),
      r.imagesPerSec.toFixed(0),
      ...countCells(r),
    ]),
  ]
  return textTable(rows, { numeric: true })
}

/** `npm run bench:train`'s flags: the same table parses them and prints `--help`. */
export const BENCH_FLAGS = {
  backends: {
    value: 'LIST',
    default: 'tensorflow,webgpu,wasm,cpu',
    description: 'comma-separated backends to time (those that fail to start are skipped)',
  },
  batches: { value: 'LIST', default: '64,256', description: 'comma-separated batch sizes' },
  steps: { value: 'N', default: 10, description: 'timed steps per cell (cpu: at most 2)' },
  counters: { type: 'boolean', description: 'also count WebGPU calls per step (webgpu only)' },
  threads: {
    value: 'N',
    shownDefault: "the machine's cores",
    description: 'threads of the fused CPU step row (wasm), 1..64',
  },
  rounds: { value: 'N', default: 5, description: 'interleaved rounds of the CPU rows (best of each)' },
  torchSteps: { value: 'N', default: 100, description: 'timed steps of each PyTorch round' },
  python: { value: 'CMD', default: 'python3', description: 'the Python (with torch) of the PyTorch rows' },
  fma: { type: 'boolean', description: 'add rows for the opt-in relaxed-SIMD FMA build (wasm)' },
} as const satisfies FlagTable

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), BENCH_FLAGS, {
    usage: 'npm run bench:train -- [flags]',
    summary: 'Times training steps per backend and batch size, as a table.',
  })
  const backends = (flags.backends ?? BENCH_FLAGS.backends.default).split(',')
  for (const b of backends) {
    if (!BACKENDS.includes(b as BackendName) || b === 'auto') {
      throw new UsageError(
        `Expected --backends to list tensorflow, webgpu, wasm or cpu, but got '${b}'.`,
      )
    }
  }
  const batches = (flags.batches ?? BENCH_FLAGS.batches.default)
    .split(',')
    .map((b) => parseNumber('batches', b, { min: 1, max: 4096, integer: true }))
  const count = (name: 'steps' | 'threads' | 'rounds' | 'torchSteps', fallback: number, max = Infinity) =>
    flags[name] === undefined
      ? fallback
      : parseNumber(kebab(name), flags[name], { min: 1, max, integer: true })
  const steps = count('steps', BENCH_FLAGS.steps.default)
  const threads = count('threads', (await import('../trainer/engines/cpu-threads')).defaultThreads(), 64)
  const rounds = count('rounds', BENCH_FLAGS.rounds.default)
  const torchSteps = count('torchSteps', BENCH_FLAGS.torchSteps.default)
  const results: BenchResult[] = []
  const notes: string[] = []
  for (const name of backends) {
    let choice
    try {
      choice = await initBackend(name as BackendName)
    } catch (err) {
      console.log(`${name}: unavailable (${firstLine(err)})`)
      continue
    }
    console.log(`${name}: ${choice.reason}`)
    const engines: StepEngineChoice[] = name === 'webgpu' ? ['tfjs', 'fused'] : ['tfjs']
    for (const batch of batches) {
      if (name === 'wasm') {
        const { cpuRows } = await import('./bench-cpu')
        const fma = flags.fma === true
        const tfjs = async (b: number, n: number) => (await benchStep(b, { steps: n })).msPerStep
        const python = flags.python ?? BENCH_FLAGS.python.default
        const options = { batch, steps, threads, rounds, torchSteps, python, fma }
        const cpu = await cpuRows(options, tfjs)
        results.push(...cpu.results)
        notes.push(...cpu.lines)
        for (const r of cpu.results)
          console.log(`  batch ${batch}, ${r.backend}: ${r.msPerStep.toFixed(1)} ms/step`)
        continue
      }
      for (const engine of engines) {
        // The pure-JS backend is ~30× slower: fewer timed steps keep the table quick.
        const counting = flags.counters === true && name === 'webgpu'
        const { msPerStep: ms, counts } = await benchStep(batch, {
          steps: name === 'cpu' ? Math.min(steps, 2) : steps,
          counters: counting,
          engine,
        })
        const imagesPerSec = (batch * 1000) / ms
        const backend = engine === 'fused' ? `${name}-fused` : name
        results.push({ backend, batch, msPerStep: ms, imagesPerSec, counts })
        console.log(
          `  batch ${batch}${engine === 'fused' ? ', fused step' : ''}: ${ms.toFixed(1)} ms/step`,
        )
        if (counts) {
          const { formatCounts } = await import('../trainer/engines/webgpu-counters')
          console.log(`    per step: ${formatCounts(counts)}`)
        }
      }
    }
  }
  console.log(`\n${formatTable(results)}`)
  if (notes.length > 0) console.log(`\n${notes.join('\n')}`)
  // Dawn keeps the event loop alive; the table is out, so leave.
  process.exit(0)
}

if (isEntry(import.meta.url, 'bench-train')) runMain(main)
