/**
 * @module trainer/bench-cpu
 * The CPU rows of `npm run bench:train` (trainer/bench.ts): the fused CPU step (engine/cpu) at a
 * thread count, its matrix products alone and the WebAssembly SIMD ceiling of the same
 * micro-kernels (engine/cpu/probe.ts), and the PyTorch reference step (tools/torch_step.py) when
 * `python3` can import torch.
 *
 * What a step is differs: ours (like the tfjs rows) runs `dSteps` D updates, each with a fresh G
 * forward for its fakes, then one G update; torch_step.py runs one G update and one D update that
 * reuses G's output, about 11 % fewer multiply-adds at dSteps 1. {@link STEP_NOTE} says so beside
 * the figures.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createCpuEngine, type CpuEngine } from '../engine/cpu/engine'
import { ceilingPlan, productsPlan } from '../engine/cpu/probe'
import { Xoshiro128 } from '../shared/rng'
import { buildModelSpec } from './architecture'
import { DEFAULT_CONFIG } from './config'
import { createNodeThreadPool, loadCpuStepModule } from './cpu-threads'

export const STEP_NOTE =
  'A step here is 1 D update with a fresh G forward + 1 G update (trainer/gan.ts); ' +
  'tools/torch_step.py reuses G’s output for D: ~11 % fewer multiply-adds per step.'

const TORCH_STEP = fileURLToPath(new URL('../tools/torch_step.py', import.meta.url))
const WARMUP = 3
const IMAGES = 1024

/** A fused engine on synthetic data (the step's cost does not depend on pixel values). */
export async function createBenchEngine(batch: number, threads: number): Promise<CpuEngine> {
  const rng = new Xoshiro128(1)
  const count = Math.max(IMAGES, batch)
  const images = Uint8Array.from({ length: count * 784 }, () => Math.floor(rng.nextFloat() * 256))
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10)
  const config = { ...DEFAULT_CONFIG, batch }
  const engine = await createCpuEngine({
    model: buildModelSpec(config),
    options: config,
    module: loadCpuStepModule(),
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
export function timeSteps(engine: CpuEngine, steps: number): Promise<number> {
  return timeCalls(1, () => engine.run(steps)).then((ms) => ms / steps)
}

/**
 * The step's products alone and the micro-kernels' ceiling on the same threads (operands in L1),
 * interleaved over `rounds` rounds, best of each: a busy machine slows both, and the best round is
 * the one least disturbed.
 */
export async function productsAndCeiling(engine: CpuEngine, rounds: number) {
  const products = productsPlan(engine.plan)
  const ceiling = ceilingPlan(engine.layout, engine.threads, 100)
  await engine.probe(products.records)
  await engine.probe(ceiling.records)
  let ms = Infinity
  let ceilingMs = Infinity
  for (let r = 0; r < rounds; r++) {
    ms = Math.min(ms, await timeCalls(2, () => engine.probe(products.records)))
    ceilingMs = Math.min(ceilingMs, await timeCalls(2, () => engine.probe(ceiling.records)))
  }
  return {
    ms,
    flops: products.flops,
    gflops: products.flops / ms / 1e6,
    ceiling: ceiling.flops / ceilingMs / 1e6,
  }
}

/** A PyTorch row, or why there is none. */
export type TorchRow = { msPerStep: number; version: string } | { absent: string }

/**
 * Runs tools/torch_step.py on `threads` threads at `batch`.
 * @returns the ms per step, or `absent` with the reason (no python3, no torch, a failure).
 */
export function torchStep(threads: number, batch: number, steps: number): TorchRow {
  const args = [TORCH_STEP, '--threads', `${threads}`, '--batch', `${batch}`, '--steps', `${steps}`]
  const r = spawnSync('python3', args, { encoding: 'utf8', timeout: 600_000 })
  if (r.error)
    return { absent: `python3 not runnable (${(r.error as NodeJS.ErrnoException).code})` }
  if (r.status !== 0) {
    if (/No module named ['"]?torch/.test(r.stderr)) return { absent: 'python3 has no torch' }
    return { absent: `torch_step.py failed: ${r.stderr.trim().split('\n').at(-1)}` }
  }
  try {
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
      ms_per_step: number
      torch: string
    }
    return { msPerStep: out.ms_per_step, version: out.torch }
  } catch {
    return { absent: `unexpected torch_step.py output: ${r.stdout.trim().slice(0, 80)}` }
  }
}
