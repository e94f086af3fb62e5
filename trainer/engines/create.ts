/**
 * @module trainer/engines/create
 * The one place that chooses a step engine (engine/step-engine.ts) for a run: on webgpu the fused
 * WebGPU step (trainer/engines/webgpu-fused.ts: our own WGSL kernels, a few dozen dispatches per
 * step), on wasm the fused CPU step (trainer/engines/cpu.ts: one WebAssembly SIMD module on every
 * core), where they apply; else the tfjs ops (trainer/engines/tfjs.ts), which run everything.
 *
 * `--webgpu-step` / `--cpu-step auto` (the defaults) take the fused step where it applies; `fused`
 * where it does not is a UsageError, not a silent fallback; `tfjs` always takes the ops.
 */
import type { StepEngine } from '../../engine/step-engine'
import { UsageError } from '../cli'
import type { TrainConfig } from '../config'
import type { Gan } from '../core/gan'
import type { MnistSplit, RealBatches } from '../run/data'
import { TfjsEngine } from './tfjs'

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

/** What the engines train on: the data (the first `count` images) and the tfjs path's batches. */
export interface EngineData {
  data: MnistSplit
  count: number
  batches: RealBatches
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
  input: EngineData,
  step: number,
): Promise<StepEngine> {
  if (backend === 'webgpu' && resolveWebgpuStep(config, backend) === 'fused') {
    const { WebgpuStep } = await import('./webgpu-fused')
    return WebgpuStep.create(gan, config.dSteps, input.batches, step)
  }
  if (backend === 'wasm' && resolveCpuStep(config, backend) === 'fused') {
    const { startCpuEngine } = await import('./cpu')
    return startCpuEngine(gan, config, input.data, input.count, step)
  }
  if (config.cpuStep === 'fused' && backend !== 'wasm') {
    throw new UsageError(`Expected --backend wasm for --cpu-step fused, but auto chose ${backend}.`)
  }
  return new TfjsEngine(gan, config.dSteps, input.batches, step)
}
