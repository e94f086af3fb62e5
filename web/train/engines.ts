/**
 * @module web/train/engines
 * The one place the training page chooses and builds its step engine: the fused WebAssembly CPU
 * step (engine/cpu), on Web Worker helper threads where the page is cross-origin isolated
 * (web/train/cpu-pool.ts) and on the training worker's thread alone otherwise.
 *
 * The WebAssembly module is compiled once per worker from its static asset (the page's CSP allows
 * WebAssembly compilation, nothing else).
 */
import { createCpuEngine } from '../../engine/cpu/engine'
import type { EngineState } from '../../engine/step-engine'
import type { MnistData } from './data'
import { createBrowserThreadPool, helperCount } from './cpu-pool'
import type { TrainAssets } from './protocol'
import type { EngineHandle } from './session'
import { engineOptions, modelSpec, type TrainSettings } from './settings'

/** What the worker knows about where it runs. */
export interface EngineEnvironment {
  assets: TrainAssets
  /** navigator.hardwareConcurrency. */
  cores: number
  /** crossOriginIsolated: shared memory may reach other workers. */
  isolated: boolean
  /** The training set, loaded on first use. */
  data: () => Promise<MnistData>
}

let stepModule: Promise<WebAssembly.Module> | undefined

/** engine/cpu/step.wasm, compiled once. */
function cpuStepModule(url: string): Promise<WebAssembly.Module> {
  stepModule ??= fetch(url).then(async (res) => {
    if (!res.ok)
      throw new Error(`Expected the CPU step module at ${url}, but got HTTP ${res.status}.`)
    return WebAssembly.compileStreaming(res)
  })
  stepModule.catch(() => (stepModule = undefined))
  return stepModule
}

/**
 * The engine for `settings`, from `state` or fresh weights.
 * @throws Error when the engine cannot be built (no WebAssembly SIMD, a helper that fails).
 */
export async function openEngine(
  env: EngineEnvironment,
  settings: TrainSettings,
  state?: EngineState,
): Promise<EngineHandle> {
  const [module, data] = await Promise.all([cpuStepModule(env.assets.stepWasm), env.data()])
  const helpers = helperCount(settings.threads, env.cores, env.isolated)
  const engine = await createCpuEngine({
    model: modelSpec(settings.model),
    options: engineOptions(settings),
    module,
    data,
    pool: helpers > 0 ? createBrowserThreadPool(env.assets.helper, helpers) : undefined,
    state,
  })
  const note =
    helpers > 0
      ? 'the page is cross-origin isolated, so helper threads share the memory'
      : !env.isolated
        ? 'the page is not cross-origin isolated, so workers cannot share memory'
        : settings.threads === 1
          ? 'as chosen'
          : 'this machine reports one core'
  return { engine, kind: 'wasm', note }
}
