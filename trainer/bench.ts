/**
 * @module trainer/bench
 * Training speed per backend and batch size: ms per step (one D update + one G update) and
 * images per second (real images consumed by D per second).
 *
 *   npm run bench:train                                  # every backend that works here, batch 64 and 256
 *   npm run bench:train -- --backends wasm --batches 64,512 --steps 20
 *   npm run bench:train -- --backends webgpu --counters  # + WebGPU calls per step
 *   npm run bench:train -- --backends wasm --threads 2   # tfjs-wasm, fused CPU ×1 and ×2, torch
 *   npm run bench:train -- --backends wasm --fma         # + the opt-in relaxed-SIMD FMA build
 *
 * On webgpu both engines get a row: `webgpu` (tfjs ops, trainer/gan.ts) and `webgpu-fused` (the
 * fused step, trainer/webgpu-step.ts). With wasm come the fused CPU step (engine/cpu) at 1 and
 * `--threads` threads (default: the machine's cores), measured with tfjs-wasm in `--rounds`
 * interleaved rounds (the best of each), the GFLOPS of its products against the SIMD ceiling, and the
 * PyTorch rows from tools/torch_step.py (`--torch-steps`) where python3 has torch
 * (trainer/bench-cpu.ts); `--fma` adds rows for the opt-in relaxed-SIMD build.
 *
 * Synthetic data (the numbers do not depend on pixel values) and the tutorial model. Each cell:
 * 3 warm-up steps (kernel compilation, buffer pools), then the mean over `--steps` steps.
 * `--counters` also counts, per timed step, the host-side WebGPU calls (dispatches, submits, buffer
 * creations, uploads, read-backs; trainer/webgpu-counters.ts) on the webgpu backend.
 */
import { parseFlags, parseNumber, runMain, UsageError } from './cli'
import { isEntry } from './entry'
import { DEFAULT_CONFIG } from './config'
import { createGan, discriminatorStep, disposeGan, generatorStep } from './gan'
import { BACKENDS, initBackend, tf, type BackendName } from './tf'
import type { WebgpuCounts } from './webgpu-counters'

const WARMUP = 3

/** The engines of a webgpu run (`--webgpu-step`). */
export type StepEngine = 'tfjs' | 'fused'

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

/**
 * Times `steps` D+G steps of the tutorial GAN at `batch` on the current backend; with
 * `counters` (webgpu only) also counts the WebGPU calls of the timed steps. `engine: 'fused'`
 * (webgpu only) times the fused step instead of the tfjs ops.
 */
export async function benchStep(
  batch: number,
  steps: number,
  counters = false,
  engine: StepEngine = 'tfjs',
): Promise<StepTiming> {
  // Loaded only when asked for: the counters wrap Dawn's prototypes, which plain runs never touch.
  const wgc = counters ? await import('./webgpu-counters') : undefined
  const gan = createGan({ ...DEFAULT_CONFIG, batch })
  const real = tf.randomUniform([batch, 784], -1, 1, 'float32', 1) as tf.Tensor2D
  const fused =
    engine === 'fused' ? await (await import('./webgpu-step')).WebgpuStep.create(gan, 1) : undefined
  const images = (await real.data()) as Float32Array
  const once = async (step: number) => {
    if (fused) {
      await fused.step(step, [{ images }]) // reads the losses back, as the tfjs path does
      return
    }
    await discriminatorStep(gan, real, step)
    await generatorStep(gan, step) // reads the loss back: every step is fully synchronized
  }
  for (let i = 0; i < WARMUP; i++) await once(i)
  wgc?.installWebgpuCounters()
  wgc?.resetWebgpuCounters()
  const t0 = performance.now()
  for (let i = 0; i < steps; i++) await once(WARMUP + i)
  const ms = (performance.now() - t0) / steps
  const counts = wgc ? wgc.perStep(wgc.readWebgpuCounters(), steps) : undefined
  wgc?.uninstallWebgpuCounters()
  fused?.dispose()
  real.dispose()
  disposeGan(gan)
  return { msPerStep: ms, counts }
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
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)))
  return rows
    .map((row) =>
      row
        .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c])))
        .join('  '),
    )
    .join('\n')
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), {
    backends: 'string',
    batches: 'string',
    steps: 'string',
    counters: 'boolean',
    threads: 'string',
    rounds: 'string',
    torchSteps: 'string',
    fma: 'boolean',
  })
  const backends = ((flags.backends as string | undefined) ?? 'tensorflow,webgpu,wasm,cpu').split(
    ',',
  )
  for (const b of backends) {
    if (!BACKENDS.includes(b as BackendName) || b === 'auto') {
      throw new UsageError(
        `Expected --backends to list tensorflow, webgpu, wasm or cpu, but got '${b}'.`,
      )
    }
  }
  const batches = ((flags.batches as string | undefined) ?? '64,256')
    .split(',')
    .map((b) => parseNumber('batches', b, { min: 1, max: 4096, integer: true }))
  const count = (name: string, fallback: number, max = Infinity) =>
    flags[name] === undefined
      ? fallback
      : parseNumber(name, flags[name] as string, { min: 1, max, integer: true })
  const steps = count('steps', 10)
  const threads = count('threads', (await import('./cpu-threads')).defaultThreads(), 64)
  const rounds = count('rounds', 5)
  const torchSteps = count('torchSteps', 300)
  const results: BenchResult[] = []
  const notes: string[] = []
  for (const name of backends) {
    let choice
    try {
      choice = await initBackend(name as BackendName)
    } catch (err) {
      console.log(`${name}: unavailable (${(err as Error).message.split('\n')[0]})`)
      continue
    }
    console.log(`${name}: ${choice.reason}`)
    const engines: StepEngine[] = name === 'webgpu' ? ['tfjs', 'fused'] : ['tfjs']
    for (const batch of batches) {
      if (name === 'wasm') {
        const { cpuRows } = await import('./bench-cpu')
        const fma = flags.fma === true
        const tfjs = async (b: number, n: number) => (await benchStep(b, n)).msPerStep
        const cpu = await cpuRows({ batch, steps, threads, rounds, torchSteps, fma }, tfjs)
        results.push(...cpu.results)
        notes.push(...cpu.lines)
        for (const r of cpu.results)
          console.log(`  batch ${batch}, ${r.backend}: ${r.msPerStep.toFixed(1)} ms/step`)
        continue
      }
      for (const engine of engines) {
        // The pure-JS backend is ~30× slower: fewer timed steps keep the table quick.
        const counting = flags.counters === true && name === 'webgpu'
        const { msPerStep: ms, counts } = await benchStep(
          batch,
          name === 'cpu' ? Math.min(steps, 2) : steps,
          counting,
          engine,
        )
        const imagesPerSec = (batch * 1000) / ms
        const backend = engine === 'fused' ? `${name}-fused` : name
        results.push({ backend, batch, msPerStep: ms, imagesPerSec, counts })
        console.log(
          `  batch ${batch}${engine === 'fused' ? ', fused step' : ''}: ${ms.toFixed(1)} ms/step`,
        )
        if (counts) {
          const { formatCounts } = await import('./webgpu-counters')
          console.log(`    per step: ${formatCounts(counts)}`)
        }
      }
    }
  }
  console.log(`\n${formatTable(results)}`)
  if (notes.length > 0) {
    console.log(`\n${notes.join('\n')}`)
  }
  // Dawn keeps the event loop alive; the table is out, so leave.
  process.exit(0)
}

if (isEntry('bench')) runMain(main)
