/**
 * @module web/train/engines
 * The one place the training page chooses and builds its step engine:
 * - the fused WebGPU step (engine/webgpu/fused-step.ts: the training set and the randomness on the
 *   device) when `navigator.gpu` gives an adapter (engine `auto`; not a CPU implementation such as
 *   SwiftShader, shared/train/software-adapter.ts, far slower than WebAssembly) or when asked for
 *   (`webgpu`, any adapter; it fails with a reason where there is none);
 * - else the fused WebAssembly CPU step (engine/cpu), on Web Worker helper threads where the page
 *   is cross-origin isolated (web/train/cpu-pool.ts), on the training worker's thread alone
 *   otherwise.
 *
 * A fresh run starts from the CPU step's documented initial weights (engine/cpu/state.ts) on
 * either engine, so the seed picks the same starting point wherever it trains. A WebGPU device
 * that is lost, or reports an error (WebGPU validation errors do not throw), settles the handle's
 * `lost` with a sentence saying so: the session stops and says it (web/train/session.ts).
 */
import { createCpuEngine } from '../../engine/cpu/engine'
import type { EngineState } from '../../engine/step-engine'
import { FusedStep } from '../../engine/webgpu/fused-step'
import { isSoftwareAdapter, type AdapterInfoLike } from '../../shared/train/software-adapter'
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
  /** navigator.gpu, where the browser has WebGPU. */
  gpu?: GPU
  /** The training set, loaded on first use. */
  data: () => Promise<MnistData>
}

/** Adam's ε of both engines (Keras's default, trainer/core/adam.ts). */
const ADAM_EPSILON = 1e-7
/** GAN steps recorded into one WebGPU submit (the trainer's `--steps-per-submit` default). */
const STEPS_PER_SUBMIT = 16

let stepModule: Promise<WebAssembly.Module> | undefined

/** engine/cpu/step.wasm, compiled once. */
function cpuStepModule(url: string): Promise<WebAssembly.Module> {
  stepModule ??= fetch(url).then(async (res) => {
    if (!res.ok) {
      throw new Error(`Expected the CPU step module at ${url}, but got HTTP ${res.status}.`)
    }
    return WebAssembly.compileStreaming(res)
  })
  stepModule.catch(() => (stepModule = undefined))
  return stepModule
}

/**
 * The engine for `settings`, from `state` or fresh weights (see the module doc for the choice).
 * @throws Error when the engine cannot be built: no adapter for `webgpu`, no WebAssembly SIMD, a
 *   helper thread or a kernel that fails.
 */
export async function openEngine(
  env: EngineEnvironment,
  settings: TrainSettings,
  state?: EngineState,
): Promise<EngineHandle> {
  let passedOver: string | undefined
  if (settings.engine !== 'wasm') {
    const adapter = (await env.gpu?.requestAdapter()) ?? null
    const info = adapter ? adapterInfo(adapter) : undefined
    if (adapter && (settings.engine === 'webgpu' || !isSoftwareAdapter(info!))) {
      return openWebgpu(env, adapter, info!, settings, state)
    }
    if (settings.engine === 'webgpu') {
      const why = env.gpu ? 'navigator.gpu.requestAdapter() gave none' : 'no navigator.gpu'
      throw new Error(`Expected a WebGPU adapter for the WebGPU engine, but ${why}.`)
    }
    if (info) passedOver = `the WebGPU adapter (${adapterName(info)}) is a CPU implementation`
  }
  return openCpu(env, settings, state, passedOver)
}

async function openCpu(
  env: EngineEnvironment,
  settings: TrainSettings,
  state?: EngineState,
  passedOver?: string,
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
  return { engine, kind: 'wasm', note: passedOver ? `${note}; ${passedOver}` : note }
}

/** The adapter's names and fallback flag (GPUAdapterInfo keeps them as prototype getters). */
function adapterInfo(adapter: GPUAdapter): AdapterInfoLike {
  // `adapter.info` (Chrome 127+; the pinned @webgpu/types only knows requestAdapterInfo()).
  const info = (adapter as GPUAdapter & { info?: AdapterInfoLike }).info ?? {}
  const { vendor, architecture, description, device, type } = info
  return {
    vendor,
    architecture,
    description,
    device,
    type,
    isFallbackAdapter: adapter.isFallbackAdapter || info.isFallbackAdapter,
  }
}

function adapterName(info: AdapterInfoLike): string {
  return [info.vendor, info.architecture, info.description].filter((s) => s).join(' ') || 'unnamed'
}

/** The CPU step's fresh state for `settings` (its documented initial weights), without threads. */
async function initialState(env: EngineEnvironment, settings: TrainSettings): Promise<EngineState> {
  const [module, data] = await Promise.all([cpuStepModule(env.assets.stepWasm), env.data()])
  const cpu = await createCpuEngine({
    model: modelSpec(settings.model),
    options: engineOptions(settings),
    module,
    data,
  })
  try {
    return await cpu.exportState()
  } finally {
    cpu.dispose()
  }
}

async function openWebgpu(
  env: EngineEnvironment,
  adapter: GPUAdapter,
  info: AdapterInfoLike,
  settings: TrainSettings,
  state?: EngineState,
): Promise<EngineHandle> {
  const [data, start] = await Promise.all([env.data(), state ?? initialState(env, settings)])
  // The training set is one storage buffer: ask for the adapter's largest binding, not 128 MiB.
  const { maxStorageBufferBindingSize, maxBufferSize } = adapter.limits
  const device = await adapter.requestDevice({
    requiredLimits: { maxStorageBufferBindingSize, maxBufferSize },
  })
  let failed: ((reason: string) => void) | undefined
  const lost = new Promise<string>((resolve) => (failed = resolve))
  let disposed = false
  void device.lost.then((loss) => {
    if (!disposed) {
      failed!(
        `The GPU device was lost (${loss.reason || 'unknown'}: ${loss.message || 'no message'}).`,
      )
    }
  })
  device.addEventListener('uncapturederror', (event) => {
    failed!(`WebGPU reported an error: ${(event as GPUUncapturedErrorEvent).error.message}`)
  })
  let engine: FusedStep
  try {
    engine = await FusedStep.create(
      device,
      modelSpec(settings.model),
      { ...engineOptions(settings), epsilon: ADAM_EPSILON, stepsPerSubmit: STEPS_PER_SUBMIT },
      { data },
      start,
    )
  } catch (err) {
    device.destroy()
    throw err
  }
  // The device is this engine's alone: disposing the engine gives it back.
  const dispose = engine.dispose.bind(engine)
  engine.dispose = () => {
    disposed = true
    dispose()
    device.destroy()
  }
  const software = isSoftwareAdapter(info) ? ', a CPU implementation (slow)' : ''
  return { engine, kind: 'webgpu', note: `adapter: ${adapterName(info)}${software}`, lost }
}
