/**
 * @module tools/bench-cpu
 * The CPU rows of `npm run bench:train` (tools/bench-train.ts): the fused CPU step (engine/cpu) at a
 * thread count, its matrix products alone and the WebAssembly SIMD ceiling of the same
 * micro-kernels (engine/cpu/probe.ts), and the PyTorch reference step (tools/torch_step.py) when
 * `--python` (default `python3`) can import torch.
 *
 * What a step is differs: ours (like the tfjs rows) runs `dSteps` D updates, each with a fresh G
 * forward for its fakes, then one G update; torch_step.py runs one G update and one D update that
 * reuses G's output, but its G update also computes D's weight gradients (D's parameters require
 * grad) and throws them away. {@link workLine} counts both beside the figures.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createCpuEngine, type CpuEngine } from '../engine/cpu/engine'
import { ceilingPlan, productsPlan } from '../engine/cpu/probe'
import { Xoshiro128 } from '../shared/latent/rng'
import { buildModelSpec } from '../trainer/core/architecture'
import { DEFAULT_CONFIG } from '../trainer/config'
import { createNodeThreadPool, loadCpuStepModule } from '../trainer/engines/cpu-threads'

/**
 * The products of our step and of torch_step.py's at the engine's batch (dSteps 1): ours minus a
 * G forward on B rows (torch reuses G's output), plus D's weight gradients on B rows (torch's G
 * update computes them and zeroes them before its D update).
 */
export function workLine(engine: CpuEngine, ours: number): string {
  const macs = (net: typeof engine.layout.g) =>
    net.net.blocks.reduce((sum, b) => sum + b.inputs * b.units, 0)
  const rows = 2 * engine.layout.batch
  const reuse = rows * macs(engine.layout.g)
  const discarded = rows * macs(engine.layout.d)
  const torch = ours - reuse + discarded
  const g = (f: number) => (f / 1e9).toFixed(3)
  return (
    `batch ${engine.layout.batch}: products per step ${g(ours)} GFLOP here (each D update with a ` +
    `fresh G forward, trainer/core/gan.ts); tools/torch_step.py ${g(torch)} GFLOP (reuses G's output ` +
    `for D: −${g(reuse)}; computes and discards D's weight gradients in its G update: ` +
    `+${g(discarded)}), ${((100 * (ours - torch)) / torch).toFixed(1)} % apart`
  )
}

const TORCH_STEP = fileURLToPath(new URL('./torch_step.py', import.meta.url))
const WARMUP = 3
const IMAGES = 1024

/** A fused engine on synthetic data (the step's cost does not depend on pixel values). */
export async function createBenchEngine(
  batch: number,
  threads: number,
  fma = false,
): Promise<CpuEngine> {
  const rng = new Xoshiro128(1)
  const count = Math.max(IMAGES, batch)
  const images = Uint8Array.from({ length: count * 784 }, () => Math.floor(rng.nextFloat() * 256))
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10)
  const config = { ...DEFAULT_CONFIG, batch }
  const engine = await createCpuEngine({
    model: buildModelSpec(config),
    options: config,
    module: loadCpuStepModule(fma),
    data: { images, labels, count },
    pool: threads > 1 ? createNodeThreadPool(threads - 1) : undefined,
  })
  await engine.run(WARMUP)
  return engine
}

/** Mean wall-clock ms per call of `f` over `n` calls. */
async function timeCalls(n: number, f: () => Promise<void>): Promise<number> {
  const t0 = performance.now()
  for (let i = 0; i < n; i++) await f()
  return (performance.now() - t0) / n
}

/** ms per GAN step of `engine` over `steps` steps. */
function timeSteps(engine: CpuEngine, steps: number): Promise<number> {
  return timeCalls(1, () => engine.run(steps)).then((ms) => ms / steps)
}

/**
 * The step's products alone and the micro-kernels' ceiling on the same threads (operands in L1).
 * Each `measure` times both once more; `result` keeps the best of all: a busy machine slows both,
 * and measuring in every round of the bench (not in one burst) gives the quiet moments a chance.
 */
async function productsProbe(engine: CpuEngine) {
  const products = productsPlan(engine.plan)
  const ceiling = ceilingPlan(engine.layout, engine.threads, 100)
  await engine.probe(products.records)
  await engine.probe(ceiling.records)
  let ms = Infinity
  let ceilingMs = Infinity
  return {
    async measure(): Promise<void> {
      ms = Math.min(ms, await timeCalls(2, () => engine.probe(products.records)))
      ceilingMs = Math.min(ceilingMs, await timeCalls(2, () => engine.probe(ceiling.records)))
    },
    result() {
      return {
        ms,
        flops: products.flops,
        gflops: products.flops / ms / 1e6,
        ceiling: ceiling.flops / ceilingMs / 1e6,
      }
    },
  }
}

/** A PyTorch row, or why there is none. */
export type TorchRow = { msPerStep: number; version: string; blas: string } | { absent: string }

/**
 * Runs tools/torch_step.py with `python` on `threads` threads at `batch`.
 * @returns the ms per step with torch's version and the BLAS it ran on (a Debian torch on the
 *   reference BLAS is ~7× slower than on OpenBLAS, so the row must say which), or `absent` with the
 *   reason (no such python, no torch, a failure).
 */
export function torchStep(
  threads: number,
  batch: number,
  steps: number,
  python = 'python3',
): TorchRow {
  const args = [TORCH_STEP, '--threads', `${threads}`, '--batch', `${batch}`, '--steps', `${steps}`]
  const r = spawnSync(python, args, { encoding: 'utf8', timeout: 600_000 })
  if (r.error)
    return { absent: `${python} not runnable (${(r.error as NodeJS.ErrnoException).code})` }
  if (r.status !== 0) {
    if (/No module named ['"]?torch/.test(r.stderr)) return { absent: `${python} has no torch` }
    return { absent: `torch_step.py failed: ${r.stderr.trim().split('\n').at(-1)}` }
  }
  try {
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
      ms_per_step: number
      torch: string
      blas?: string
    }
    if (typeof out.ms_per_step !== 'number') throw new Error('no ms_per_step')
    return { msPerStep: out.ms_per_step, version: out.torch, blas: out.blas ?? 'BLAS unknown' }
  } catch {
    return { absent: `unexpected torch_step.py output: ${r.stdout.trim().slice(0, 80)}` }
  }
}

/** One row of the table (tools/bench-train.ts's BenchResult). */
export interface CpuRow {
  backend: string
  batch: number
  msPerStep: number
  imagesPerSec: number
}

/** What `cpuRows` measures. */
export interface CpuRowsOptions {
  batch: number
  steps: number
  threads: number
  rounds: number
  torchSteps: number
  /** The Python that runs tools/torch_step.py. */
  python: string
  /** Also time the opt-in relaxed-SIMD FMA build. */
  fma: boolean
}

/**
 * The round least disturbed by other work: on a shared machine every slowdown is added time, so
 * the fastest of a few interleaved rounds is the closest to the engine's own cost (and each row
 * gets the same treatment, so their ratios stay fair).
 */
const best = (xs: number[]) => Math.min(...xs)

/**
 * The wasm backend's rows: tfjs-wasm (`tfjsStep`) and the fused CPU step at 1 and `threads`
 * threads, measured in `rounds` interleaved rounds (the best of each), so load from other work
 * falls on all rows alike, as do the step's products alone against the micro-kernel ceiling and
 * the PyTorch rows.
 */
export async function cpuRows(
  o: CpuRowsOptions,
  tfjsStep: (batch: number, steps: number) => Promise<number>,
): Promise<{ results: CpuRow[]; lines: string[] }> {
  const { batch, steps } = o
  const counts = [...new Set([1, o.threads])]
  const engines = []
  for (const fma of o.fma ? [false, true] : [false]) {
    for (const n of counts) {
      const label = `cpu-fused${fma ? '-fma' : ''} ×${n}`
      const engine = await createBenchEngine(batch, n, fma)
      engines.push({ n, label, engine, probe: await productsProbe(engine), ms: [] as number[] })
    }
  }
  const tfjs: number[] = []
  // PyTorch runs in the same rounds, so a busy spell costs it as much as it costs us.
  const torch = counts.map((n) => ({ n, rows: [] as TorchRow[] }))
  for (let r = 0; r < o.rounds; r++) {
    tfjs.push(await tfjsStep(batch, steps))
    for (const e of engines) {
      e.ms.push(await timeSteps(e.engine, steps))
      await e.probe.measure()
    }
    for (const t of torch) {
      if (t.rows.some((x) => 'absent' in x)) continue
      t.rows.push(torchStep(t.n, batch, o.torchSteps, o.python))
    }
  }
  const row = (backend: string, ms: number): CpuRow => ({
    backend,
    batch,
    msPerStep: ms,
    imagesPerSec: (batch * 1000) / ms,
  })
  const results = [row('wasm', best(tfjs))]
  const lines = [workLine(engines[0].engine, productsPlan(engines[0].engine.plan).flops)]
  for (const { n, label, engine, probe, ms } of engines) {
    const step = best(ms)
    results.push(row(label, step))
    const p = probe.result()
    lines.push(
      `batch ${batch}, ${label}: products ${(p.flops / 1e9).toFixed(2)} GFLOP/step ` +
        `in ${p.ms.toFixed(1)} ms = ${p.gflops.toFixed(1)} GFLOPS, ` +
        `${((100 * p.gflops) / p.ceiling).toFixed(0)} % of the ${n}-thread SIMD ceiling ` +
        `(${p.ceiling.toFixed(1)} GFLOPS, best rounds); the whole step ` +
        `${(p.flops / step / 1e6).toFixed(1)} GFLOPS`,
    )
    engine.dispose()
  }
  lines.push(
    `batch ${batch}: ` +
      results
        .slice(1)
        .map((r) => `${r.backend} ÷ wasm = ${(r.msPerStep / results[0].msPerStep).toFixed(2)}`)
        .join(', '),
  )
  const torchBest = torch.map(({ n, rows }) => {
    const absent = rows.find((x) => 'absent' in x)
    if (absent) return { n, r: absent }
    const ok = rows.filter((x): x is Extract<TorchRow, { msPerStep: number }> => 'msPerStep' in x)
    return { n, r: ok.reduce((a, b) => (b.msPerStep < a.msPerStep ? b : a)) }
  })
  for (const { n, r } of torchBest) {
    if ('absent' in r) lines.push(`batch ${batch}, torch ×${n}: absent (${r.absent})`)
    else results.push(row(`torch ×${n} (${r.version}, ${r.blas})`, r.msPerStep))
  }
  const ours = (n: number) => results.find((x) => x.backend === `cpu-fused ×${n}`)!.msPerStep
  const present = torchBest.flatMap(({ n, r }) => ('msPerStep' in r ? [{ n, ms: r.msPerStep }] : []))
  const torch1 = present.find((t) => t.n === 1)
  if (torch1) {
    lines.push(`batch ${batch}: cpu-fused ×1 ÷ torch ×1 = ${(ours(1) / torch1.ms).toFixed(2)}`)
  }
  if (present.length > 0) {
    const best = present.reduce((a, b) => (b.ms < a.ms ? b : a))
    const n = o.threads
    lines.push(
      `batch ${batch}: cpu-fused ×${n} ÷ torch best (×${best.n}) = ${(ours(n) / best.ms).toFixed(2)}`,
    )
  }
  return { results, lines }
}
