/**
 * @module engine/cpu/engine
 * The fused CPU training step for the tutorial MLP GANs (`--model mlp | cgan`, BCE, no dropout):
 * a {@link StepEngine} that runs each whole GAN step — `dSteps` D updates, each with a fresh G
 * forward for its fakes, then one G update, as trainer/core/gan.ts — as one plan (engine/cpu/plan.ts)
 * inside one WebAssembly SIMD module (engine/cpu/step.wasm) on every thread of a pool. Weights,
 * gradients, Adam moments, activations live in the module's shared memory, allocated once; per step
 * the host writes the inputs (engine/cpu/input-writer.ts), starts the threads, and reads
 * 2·dSteps + 1 floats of losses.
 *
 * Numbers: the tfjs path's formulas (BatchNorm with batch statistics and Keras-momentum moving
 * statistics updated once per G step, BCE on logits with one-sided label smoothing, Adam with
 * PyTorch's rule and bias corrections in double, the weight average after each G update) in
 * float32, in summation orders of their own: equal to the tfjs path up to rounding, and bit-identical
 * at every thread count and in every runtime (IEEE operations only; each sum in one fixed order).
 * Runtime-free: no Node, no tfjs, no DOM; the caller hands over the compiled module and the pool.
 *
 * @example
 * // Node: trainer/engines/cpu-threads.ts loads the module and makes the pool.
 * const engine = await createCpuEngine({
 *   model: buildModelSpec(config), options: config, data: { ...mnist, count },
 *   module: loadCpuStepModule(), pool: createNodeThreadPool(threads - 1),
 * })
 * await engine.run(100)
 * const { dLoss, gLoss, steps } = await engine.readLosses()
 */
import type { ModelSpec } from '../../shared/model/spec'
import type { EngineState, LossTotals, StepEngine } from '../step-engine'
import { seededInputs, type StepInputs, type TrainingImages } from './inputs'
import { InputWriter } from './input-writer'
import { layoutStep, type StepLayout } from './layout'
import { CpuEngineScopeError } from './network'
import { PLAN_RECORDS, RECORD_BYTES, SYNC } from './ops'
import { buildPlan } from './plan'
import { initialState, readState, writeState } from './state'
import { wasmNamespace, type CpuThreadPool, type WasmMemory, type WasmModule } from './threads'

/** The training options the step depends on (a TrainConfig has them all). */
export interface CpuEngineOptions {
  batch: number
  seed: number
  dSteps: number
  lrD: number
  lrG: number
  beta1: number
  beta2: number
  labelSmoothing: number
  /** Decay of G's weight average (0: none). */
  ema: number
  /** Only `'bce'` is implemented. */
  loss?: string
  /** Only 0 is implemented. */
  dDropout?: number
}

/** Everything `createCpuEngine` needs. */
export interface CpuEngineSetup {
  model: ModelSpec
  options: CpuEngineOptions
  /** The compiled engine/cpu/step.wasm (or the opt-in FMA build, step-fma.wasm). */
  module: WasmModule
  /** Training images for the seeded production inputs; not needed with `inputs`. */
  data?: TrainingImages
  /** Helper threads (none: one thread). The engine owns it from here: `dispose` closes it. */
  pool?: CpuThreadPool
  /** Inputs to use instead of the seeded draws (tests inject the tfjs path's). */
  inputs?: StepInputs
  /** A state to start from instead of fresh weights. */
  state?: EngineState
  /** Polls before a thread waiting at a barrier sleeps (default 20 000). */
  spin?: number
}

/** Adam's ε, trainer/core/adam.ts's default (Keras'). */
const ADAM_EPSILON = 1e-7
const PAGE = 65536

/** The fused CPU step engine (create it with {@link createCpuEngine}). */
export class CpuEngine implements StepEngine {
  readonly description: string
  private stepCount = 0
  private tD = 0
  private tG = 0
  private sums: LossTotals = { dLoss: 0, dAcc: 0, gLoss: 0, steps: 0 }
  private readonly f32: Float32Array
  private busy = false
  private disposed = false
  /** Set when a thread failed: the engine's state is then unusable. */
  private failure: Error | undefined

  constructor(
    /** Where everything lives in the module's memory (engine/cpu/layout.ts). */
    readonly layout: StepLayout,
    /** The op records of one step (engine/cpu/plan.ts). */
    readonly plan: ArrayBuffer,
    private readonly memory: WasmMemory,
    private readonly runPlan: (plan: number, thread: number, threads: number) => void,
    private readonly writer: InputWriter,
    private readonly pool: CpuThreadPool | undefined,
    /** The module is the opt-in relaxed-SIMD FMA build (engine/cpu/step-fma.wasm). */
    readonly fma: boolean,
  ) {
    this.f32 = new Float32Array(memory.buffer)
    const threads = this.threads
    const build = fma ? 'WebAssembly SIMD + relaxed FMA' : 'WebAssembly SIMD'
    this.description = `fused CPU step (${build}, ${threads} thread${threads > 1 ? 's' : ''})`
  }

  /** Threads each step runs on. */
  get threads(): number {
    return (this.pool?.helpers ?? 0) + 1
  }

  get step(): number {
    return this.stepCount
  }

  async run(n: number): Promise<void> {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`Expected n ≥ 1 steps, but got ${n}.`)
    if (this.disposed) throw new Error('Expected a live engine, but it was disposed.')
    if (this.busy) throw new Error('Expected one run at a time, but a run is in progress.')
    this.busy = true
    try {
      for (let i = 0; i < n; i++) await this.oneStep()
    } finally {
      this.busy = false
    }
  }

  private async oneStep(): Promise<void> {
    const { layout, f32 } = this
    this.writer.write(this.stepCount, this.tD, this.tG)
    await this.execute(layout.plan)
    const at = layout.losses / 4
    for (let k = 0; k < layout.dSteps; k++) {
      this.sums.dLoss += f32[at + 2 * k] / layout.dSteps
      this.sums.dAcc += f32[at + 2 * k + 1] / layout.dSteps
    }
    this.sums.gLoss += f32[at + 2 * layout.dSteps]
    this.sums.steps += 1
    this.stepCount += 1
    this.tD += layout.dSteps
    this.tG += 1
  }

  /**
   * Runs other op records (a benchmark's, engine/cpu/probe.ts) on the engine's threads, between
   * steps. They may use the gradient buffers as scratch: every step rewrites those before reading.
   */
  async probe(records: ArrayBuffer): Promise<void> {
    if (this.busy || this.disposed) throw new Error('Expected an idle engine for a probe.')
    if (records.byteLength > PLAN_RECORDS * RECORD_BYTES) {
      throw new RangeError('Expected probe records that fit the probe area.')
    }
    new Uint8Array(this.memory.buffer, this.layout.probe, records.byteLength).set(
      new Uint8Array(records),
    )
    await this.execute(this.layout.probe)
  }

  /**
   * Runs the records at `plan` on every thread, this one as thread 0. When a thread fails (a trap:
   * a bug, never bad input, which is checked before), the others are made to leave the barrier
   * instead of waiting forever, the first failure is thrown, and the engine refuses further work:
   * its state is half an update.
   */
  private async execute(plan: number): Promise<void> {
    if (this.failure) throw this.failure
    this.pool?.launch(plan)
    let failure: unknown
    try {
      this.runPlan(plan, 0, this.threads)
    } catch (err) {
      failure = err
      this.abort()
    }
    try {
      await this.pool?.join()
    } catch (err) {
      failure ??= err
      // A helper's own failure says more than this thread's trap out of the barrier.
      if (failure !== err && (failure as Error).message === 'unreachable') failure = err
    }
    if (failure !== undefined) {
      this.failure = new Error(
        `Expected the fused CPU step to run, but a thread failed: ${(failure as Error).message}`,
        { cause: failure },
      )
      throw this.failure
    }
  }

  /** Makes threads waiting at a barrier trap instead of waiting for a thread that failed. */
  private abort(): void {
    const words = new Int32Array(this.memory.buffer)
    Atomics.store(words, SYNC.abort / 4, 1)
    Atomics.notify(words, SYNC.generation / 4)
  }

  async readLosses(): Promise<LossTotals> {
    const out = this.sums
    this.sums = { dLoss: 0, dAcc: 0, gLoss: 0, steps: 0 }
    return out
  }

  async exportState(): Promise<EngineState> {
    return {
      step: this.stepCount,
      optimizerSteps: { g: this.tG, d: this.tD },
      tensors: readState(this.layout, this.memory.buffer),
    }
  }

  async importState(state: EngineState): Promise<void> {
    if (this.busy) throw new Error('Expected no run in progress while importing a state.')
    writeState(this.layout, this.memory.buffer, state.tensors)
    this.stepCount = state.step
    this.tG = state.optimizerSteps.g
    this.tD = state.optimizerSteps.d
  }

  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    this.pool?.close()
  }
}

/**
 * Builds the engine: lays out and plans the step, makes the shared memory, starts the pool's
 * threads on it, and loads `setup.state` or fresh weights (engine/cpu/state.ts).
 * @throws CpuEngineScopeError for a model or options outside the fused step (conv models, WGAN-GP,
 *   dropout), RangeError for bad sizes.
 */
export async function createCpuEngine(setup: CpuEngineSetup): Promise<CpuEngine> {
  const { model, options } = setup
  if ((options.loss ?? 'bce') !== 'bce' || (options.dDropout ?? 0) !== 0) {
    throw new CpuEngineScopeError(
      'Expected --loss bce and --d-dropout 0 for the fused CPU step (the tfjs path runs the rest).',
    )
  }
  if (!Number.isInteger(options.dSteps) || options.dSteps < 1) {
    throw new RangeError(`Expected dSteps to be a positive integer, but got ${options.dSteps}.`)
  }
  if (!(options.ema >= 0 && options.ema < 1)) {
    throw new RangeError(`Expected ema in [0, 1), but got ${options.ema}.`)
  }
  const layout = layoutStep(model, {
    batch: options.batch,
    dSteps: options.dSteps,
    ema: options.ema > 0,
  })
  const plan = buildPlan(layout, {
    labelSmoothing: options.labelSmoothing,
    beta1: options.beta1,
    beta2: options.beta2,
    epsilon: ADAM_EPSILON,
    ema: options.ema,
    latents: setup.inputs === undefined,
  })
  const pages = Math.ceil(layout.bytes / PAGE)
  const wasm = wasmNamespace()
  const memory = new wasm.Memory({ initial: pages, maximum: pages, shared: true })
  const { exports } = new wasm.Instance(setup.module, { env: { memory } })
  if (typeof exports.run !== 'function') {
    throw new Error('Expected the fused CPU step module (engine/cpu/step.wasm), but got another.')
  }
  new Uint8Array(memory.buffer, layout.plan, plan.byteLength).set(new Uint8Array(plan))
  new Int32Array(memory.buffer)[SYNC.spin / 4] = setup.spin ?? 20_000
  const inputs =
    setup.inputs ??
    seededInputs(requireData(setup.data), {
      seed: options.seed,
      batch: options.batch,
      dSteps: options.dSteps,
      latentDim: model.latentDim,
      classes: layout.classes,
    })
  const writer = new InputWriter(layout, options, memory, inputs, setup.inputs === undefined)
  const engine = new CpuEngine(
    layout,
    plan,
    memory,
    exports.run as (plan: number, thread: number, threads: number) => void,
    writer,
    setup.pool,
    (exports.fma as { value: number } | undefined)?.value === 1,
  )
  await engine.importState(
    setup.state ?? {
      step: 0,
      optimizerSteps: { g: 0, d: 0 },
      tensors: initialState(layout, options.seed),
    },
  )
  try {
    await setup.pool?.start(setup.module, memory)
  } catch (err) {
    engine.dispose()
    throw err
  }
  return engine
}

function requireData(data: TrainingImages | undefined): TrainingImages {
  if (!data) throw new RangeError('Expected training images (data) or injected inputs.')
  return data
}
