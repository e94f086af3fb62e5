/**
 * @module trainer/engines/create
 * The one place that chooses a step engine (engine/step-engine.ts) for a run: on webgpu the fused
 * WebGPU step (engine/webgpu/fused-step.ts: our own WGSL kernels, the whole step on the GPU), on
 * wasm the fused CPU step (engine/cpu via trainer/engines/cpu.ts: one WebAssembly SIMD module on
 * every core), where they apply; else the tfjs ops (trainer/engines/tfjs.ts), which run everything.
 *
 * `--webgpu-step` / `--cpu-step auto` (the defaults) take the fused step where it applies; `fused`
 * where it does not is a UsageError, not a silent fallback; `tfjs` always takes the ops.
 *
 * Since it knows which engine each backend runs, it also times them for `--backend auto` on a
 * machine with a GPU (`probeBackends`): the GPU's engine against the wasm backend's, whichever
 * engine that is at the time.
 */
import type { StepEngine } from '../../engine/step-engine'
import { UsageError } from '../cli'
import type { TrainConfig } from '../config'
import { initBackend, type BackendChoice } from '../core/backend'
import { createGan, disposeGan, type Gan } from '../core/gan'
import { BatchSampler, realBatches, type MnistSplit, type RealBatches } from '../run/data'
import { TfjsEngine } from './tfjs'

/**
 * A run's training data: the first `count` images of `split` (the fused WebGPU step keeps them on
 * the device and draws its own batches), and the real batch of each D update drawn on the host
 * (the tfjs ops).
 */
export interface EngineData {
  split: Pick<MnistSplit, 'images' | 'labels'>
  count: number
  batches: RealBatches
}

const IMAGE_SIZE = 784

/** The config keys that decide which engine can run a config. */
export type EngineScopeKeys = Pick<TrainConfig, 'backend' | 'model' | 'loss' | 'dDropout'>

/**
 * Why the fused WebGPU step cannot run `config`, or undefined when it can: it implements the
 * tutorial MLPs (`mlp`, `cgan`) with BCE and no dropout in D, on webgpu.
 */
export function fusedStepScope(config: EngineScopeKeys): string | undefined {
  if (config.backend !== 'webgpu') return `--backend webgpu, but got ${config.backend}`
  return modelScope(config)
}

/**
 * Why the fused CPU step cannot run `config`, or undefined when it can: the same models as the
 * fused WebGPU step, on wasm (`auto` takes wasm unless tfjs-node is installed).
 */
export function cpuStepScope(config: EngineScopeKeys): string | undefined {
  if (config.backend !== 'wasm' && config.backend !== 'auto') {
    return `--backend wasm, but got ${config.backend}`
  }
  return modelScope(config)
}

/** Why the fused steps cannot train this model and loss, or undefined when they can. */
function modelScope(config: EngineScopeKeys): string | undefined {
  if (config.model !== 'mlp' && config.model !== 'cgan') {
    return `--model mlp or cgan, but got ${config.model}`
  }
  if (config.loss !== 'bce') return `--loss bce, but got ${config.loss}`
  if (config.dDropout !== 0) return `--d-dropout 0, but got ${config.dDropout}`
  return undefined
}

/**
 * Rejects `--webgpu-step fused` for a config the fused step does not implement (call again on a
 * resumed config: the checkpoint may change the model).
 * @throws UsageError naming what the fused step needs.
 */
export function checkWebgpuStep(config: TrainConfig): void {
  if (config.webgpuStep === 'fused') {
    const reason = fusedStepScope(config)
    if (reason) throw new UsageError(`Expected ${reason} for --webgpu-step fused.`)
  }
  if (config.cpuStep === 'fused') {
    const reason = cpuStepScope(config)
    if (reason) throw new UsageError(`Expected ${reason} for --cpu-step fused.`)
  }
}

/**
 * The engine a run on `backend` uses: the fused step unless `tfjs` is asked for or it does not
 * apply (a resumed run's saved `fused` then falls back, as its saved backend would).
 */
export function resolveWebgpuStep(config: TrainConfig, backend: string): 'fused' | 'tfjs' {
  if (config.webgpuStep === 'tfjs') return 'tfjs'
  return fusedStepScope({ ...config, backend: backend as TrainConfig['backend'] })
    ? 'tfjs'
    : 'fused'
}

/** The engine a wasm run uses: the fused CPU step unless `tfjs` is asked for or it does not apply. */
export function resolveCpuStep(config: TrainConfig, backend: string): 'fused' | 'tfjs' {
  if (config.cpuStep === 'tfjs') return 'tfjs'
  return cpuStepScope({ ...config, backend: backend as TrainConfig['backend'] }) ? 'tfjs' : 'fused'
}

/**
 * The step engine for `gan` on the initialized tfjs `backend`, starting at GAN step `step` (the
 * GAN holds that step's state).
 * @throws UsageError for `--cpu-step fused` when the backend chosen is not wasm.
 */
export async function createEngine(
  gan: Gan,
  config: TrainConfig,
  backend: string,
  data: EngineData,
  step: number,
): Promise<StepEngine> {
  if (backend === 'webgpu' && resolveWebgpuStep(config, backend) === 'fused') {
    const { createWebgpuStep } = await import('./webgpu-fused')
    const { split, count } = data
    const source = {
      data: {
        images: split.images.subarray(0, count * IMAGE_SIZE),
        labels: split.labels.subarray(0, count),
        count,
      },
    }
    return createWebgpuStep(gan, config, source, step)
  }
  if (backend === 'wasm' && resolveCpuStep(config, backend) === 'fused') {
    const { startCpuEngine } = await import('./cpu')
    return startCpuEngine(gan, config, data.split, data.count, step)
  }
  if (config.cpuStep === 'fused' && backend !== 'wasm') {
    throw new UsageError(`Expected --backend wasm for --cpu-step fused, but auto chose ${backend}.`)
  }
  return new TfjsEngine(gan, config.dSteps, data.batches, step)
}

/** GAN steps each path runs in `--backend auto`'s probe, after one warm-up step. */
export const PROBE_STEPS = 3

/** ms per GAN step of the engine `config` gets on `backend` (initialized here). */
async function timeEngine(
  config: TrainConfig,
  backend: 'webgpu' | 'wasm',
  data: Pick<EngineData, 'split' | 'count'>,
): Promise<{ ms: number; description: string }> {
  await initBackend(backend)
  const gan = createGan(config)
  try {
    const sampler = new BatchSampler(data.count, config.batch, config.seed)
    const batches = realBatches(data.split, sampler, gan.classes > 0)
    const engine = await createEngine(gan, config, backend, { ...data, batches }, 0)
    try {
      await engine.run(1) // kernel compilation, buffer pools
      await engine.readLosses()
      const t0 = performance.now()
      await engine.run(PROBE_STEPS)
      await engine.readLosses()
      return { ms: (performance.now() - t0) / PROBE_STEPS, description: engine.description }
    } finally {
      engine.dispose()
    }
  } finally {
    disposeGan(gan)
  }
}

/**
 * `--backend auto` on a machine with a GPU: times `PROBE_STEPS` steps of the run's own config on
 * the GPU (webgpu, through the engine a run there gets) and on the CPU (the wasm backend's
 * engine), initializes the faster and says why in one line.
 * @example await initBackend('auto', (adapter) => probeBackends(config, data, adapter))
 */
export async function probeBackends(
  config: TrainConfig,
  data: Pick<EngineData, 'split' | 'count'>,
  adapter: string,
): Promise<BackendChoice> {
  const gpu = await timeEngine(config, 'webgpu', data)
  const cpu = await timeEngine(config, 'wasm', data)
  const backend = gpu.ms < cpu.ms ? 'webgpu' : 'wasm'
  await initBackend(backend)
  const ms = (x: number) => `${x.toFixed(1)} ms/step`
  return {
    backend,
    reason:
      `auto: ${backend} was faster in a ${PROBE_STEPS}-step probe at batch ${config.batch}: ` +
      `${adapter} ${ms(gpu.ms)} (${gpu.description}) vs wasm ${ms(cpu.ms)} (${cpu.description})`,
  }
}
