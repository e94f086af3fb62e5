/**
 * @module engine/webgpu/fused-step
 * The fused WebGPU training step for the tutorial MLP GANs, on any `GPUDevice`: the whole step on
 * the device, our own WGSL kernels (engine/webgpu/plan.ts) instead of ~340 tfjs dispatches.
 * Runtime-free (WebGPU API only: no Node, no tfjs), so a browser page can run it; the trainer
 * hands it tfjs's Dawn device (trainer/engines/webgpu-fused.ts).
 *
 * Why: on a real GPU this MLP is bound by host work per dispatch and per submit, not by math
 * (docs/gpu.md). So every buffer, pipeline and bind group is made once; the training set lives in
 * GPU memory and each update's real batch, latents and labels are drawn there
 * (engine/webgpu/inputs.ts, random.ts); the step counters and the Adam bias corrections live
 * there too (wgsl-update.ts). A step is then a fixed list of dispatches with no upload: `run(n)`
 * records `stepsPerSubmit` steps (D and G updates alike) into one command buffer per submit, and
 * the losses accumulate on the device until `readLosses` — one copy, one read-back.
 *
 * At most two submits are in flight: the host records the next while the GPU runs the last, and
 * `run` returns at the GPU's pace (the training loop sizes its chunks by it).
 *
 * Host-input mode (`{ host }`, tests only): the host writes each update's real batch, latents and
 * labels before it (one submit per update), so the tfjs path and this one can be fed the same
 * numbers and compared.
 */
/// <reference types="@webgpu/types" />
import type { ModelSpec } from '../../shared/model/spec'
import type { EngineState, LossTotals, NamedTensors, StepEngine } from '../step-engine'
import { packBytes, type InputLayout } from './inputs'
import { encodeOps, recordOps, type Op } from './pipelines'
import { CTL_WORDS, planStep, SUMS_WORDS, type PlanOptions, type StepPlan } from './plan'
import { packState, stateBuffers, unpackState, type StateBuffer } from './state'

/** What shapes a run's numbers, plus how many steps go into one submit. */
export interface FusedStepOptions extends Omit<PlanOptions, 'draw'> {
  seed: number
  /** GAN steps recorded into one command buffer (≥ 1). */
  stepsPerSubmit: number
}

/** The training set: `count` images of the model's size as bytes, and their labels. */
export interface TrainingSet {
  images: Uint8Array
  labels: Uint8Array
  count: number
}

/** One update's inputs from the host (test mode): G's latents and labels, D's real batch. */
export interface HostUpdate {
  real?: Float32Array
  realLabels?: ArrayLike<number>
  z: Float32Array
  zLabels?: ArrayLike<number>
}

/** The inputs of GAN step `step`: `dSteps` D updates, then the G update. */
export type HostInputs = (step: number) => { d: HostUpdate[]; g: HostUpdate }

/** Where the inputs come from: the resident training set, or the host (test mode). */
export type InputSource = { data: TrainingSet } | { host: HostInputs }

const STORAGE = 0x80 | 0x04 | 0x08 // GPUBufferUsage STORAGE | COPY_SRC | COPY_DST
const MAP_READ = 0x01 | 0x08 // GPUBufferUsage MAP_READ | COPY_DST
const READ = 1 // GPUMapMode.READ
const MAX_IN_FLIGHT = 2

/** The fused step of one GAN on one device. */
export class FusedStep implements StepEngine {
  step = 0
  private pending = 0
  private inFlight: Promise<unknown>[] = []
  private staging?: GPUBuffer
  private readonly state: StateBuffer[]

  private constructor(
    private readonly device: GPUDevice,
    private readonly plan: StepPlan,
    private readonly options: FusedStepOptions,
    private readonly buffers: Map<string, GPUBuffer>,
    private readonly readback: GPUBuffer,
    private readonly ops: { d: Op[]; g: Op[] },
    private readonly host?: HostInputs,
  ) {
    this.state = stateBuffers(plan, options.ema > 0)
  }

  /**
   * Builds the engine on `device` for `model` and loads `state`.
   * @throws Error for a model outside the fused step's scope, a training set too large for one
   *   storage binding of this device, or a kernel WebGPU rejects.
   */
  static async create(
    device: GPUDevice,
    model: ModelSpec,
    options: FusedStepOptions,
    source: InputSource,
    state: EngineState,
  ): Promise<FusedStep> {
    if (!Number.isInteger(options.stepsPerSubmit) || options.stepsPerSubmit < 1) {
      throw new Error(`Expected stepsPerSubmit ≥ 1, but got ${options.stepsPerSubmit}.`)
    }
    const data = 'data' in source ? source.data : undefined
    const plan = planStep(model, {
      ...options,
      ...(data ? { draw: { seed: options.seed, dSteps: options.dSteps, count: data.count } } : {}),
    })
    const limit = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize)
    for (const [name, words] of plan.buffers) {
      if (words * 4 > limit) {
        const mib = (x: number) => `${(x / 2 ** 20).toFixed(1)} MiB`
        throw new Error(
          `Expected the fused step's ${name} buffer (${mib(words * 4)}) to fit one storage ` +
            `binding of this adapter (${mib(limit)}); use fewer training images (--data-limit) ` +
            'or a smaller --batch.',
        )
      }
    }
    if (data) {
      const pixels = data.count * plan.inputs.image
      if (data.images.length < pixels || data.labels.length < data.count) {
        throw new Error(
          `Expected ${data.count} images of ${plan.inputs.image} pixels and their labels, but got ` +
            `${data.images.length} pixels and ${data.labels.length} labels.`,
        )
      }
    }
    device.pushErrorScope('out-of-memory')
    device.pushErrorScope('validation')
    const buffers = new Map<string, GPUBuffer>()
    for (const [name, words] of plan.buffers) {
      const packed =
        name === 'images'
          ? data!.images.subarray(0, data!.count * plan.inputs.image)
          : name === 'labels'
            ? data!.labels.subarray(0, data!.count)
            : undefined
      const buffer = device.createBuffer({
        label: name,
        size: words * 4,
        usage: STORAGE,
        mappedAtCreation: packed !== undefined,
      })
      if (packed) {
        new Uint32Array(buffer.getMappedRange()).set(packBytes(packed))
        buffer.unmap()
      }
      buffers.set(name, buffer)
    }
    const readback = device.createBuffer({ label: 'losses', size: SUMS_WORDS * 4, usage: MAP_READ })
    const destroy = () => [...buffers.values(), readback].forEach((b) => b.destroy())
    let ops
    try {
      ops = {
        d: await recordOps(device, buffers, plan.dUpdate),
        g: await recordOps(device, buffers, plan.gUpdate),
      }
    } catch (err) {
      await device.popErrorScope()
      await device.popErrorScope()
      destroy()
      throw err
    }
    const errors = [await device.popErrorScope(), await device.popErrorScope()]
    const error = errors.find((e) => e !== null)
    if (error) {
      destroy()
      throw new Error(`Expected WebGPU to set up the fused step, but got: ${error.message}`)
    }
    const host = 'host' in source ? source.host : undefined
    const engine = new FusedStep(device, plan, options, buffers, readback, ops, host)
    await engine.importState(state)
    return engine
  }

  get description(): string {
    const { d, g } = this.dispatches
    const perStep = d * this.options.dSteps + g
    return this.host
      ? `fused WebGPU step (${perStep} dispatches per step, inputs from the host)`
      : `fused WebGPU step (${perStep} dispatches per step, ${this.options.stepsPerSubmit} ` +
          'steps per submit, data and randomness on the device)'
  }

  /** Dispatches per D update and per G update, as recorded. */
  get dispatches(): { d: number; g: number } {
    return { d: this.ops.d.length, g: this.ops.g.length }
  }

  async run(n: number): Promise<void> {
    for (let left = n; left > 0;) {
      const m = this.host ? 1 : Math.min(this.options.stepsPerSubmit, left)
      if (this.host) await this.hostStep(this.step)
      else {
        const encoder = this.device.createCommandEncoder()
        const pass = encoder.beginComputePass()
        for (let i = 0; i < m; i++) {
          for (let k = 0; k < this.options.dSteps; k++) encodeOps(pass, this.ops.d)
          encodeOps(pass, this.ops.g)
        }
        pass.end()
        await this.submit(encoder.finish())
      }
      left -= m
      this.step += m
      this.pending += m
    }
  }

  /** Submits, then waits while more than MAX_IN_FLIGHT submits are unfinished. */
  private async submit(commands: GPUCommandBuffer): Promise<void> {
    this.device.queue.submit([commands])
    // A device loss rejects this; the device's owner reports it (trainer/engines/dawn.ts).
    this.inFlight.push(this.device.queue.onSubmittedWorkDone().catch(() => undefined))
    while (this.inFlight.length > MAX_IN_FLIGHT) await this.inFlight.shift()
  }

  /** Test mode: each update's inputs written by the host, one submit per update. */
  private async hostStep(step: number): Promise<void> {
    const { d, g } = this.host!(step)
    if (d.length !== this.options.dSteps) {
      throw new Error(`Expected ${this.options.dSteps} D updates' inputs, but got ${d.length}.`)
    }
    const layout = this.plan.inputs
    for (const update of d) {
      this.writeInputs(layout, update, true)
      const encoder = this.device.createCommandEncoder()
      const pass = encoder.beginComputePass()
      encodeOps(pass, this.ops.d)
      pass.end()
      await this.submit(encoder.finish())
    }
    this.writeInputs(layout, g, false)
    const encoder = this.device.createCommandEncoder()
    const pass = encoder.beginComputePass()
    encodeOps(pass, this.ops.g)
    pass.end()
    await this.submit(encoder.finish())
  }

  private writeInputs(l: InputLayout, u: HostUpdate, withReal: boolean): void {
    const gw = l.latent + l.classes
    const out = new Float32Array(l.size)
    const oneHot = (labels: ArrayLike<number> | undefined, at: (r: number) => number) => {
      if (l.classes === 0) return
      if (!labels) throw new Error('Expected class labels for a conditional GAN.')
      for (let r = 0; r < l.batch; r++) out[at(r) + labels[r]] = 1
    }
    if (u.z.length !== l.batch * l.latent) {
      throw new Error(`Expected ${l.batch * l.latent} latent values, but got ${u.z.length}.`)
    }
    for (let r = 0; r < l.batch; r++) {
      out.set(u.z.subarray(r * l.latent, (r + 1) * l.latent), l.gInput + r * gw)
    }
    oneHot(u.zLabels, (r) => l.gInput + r * gw + l.latent)
    if (withReal) {
      if (u.real?.length !== l.batch * l.image) {
        throw new Error(`Expected ${l.batch * l.image} real pixels, but got ${u.real?.length}.`)
      }
      out.set(u.real, 0)
      oneHot(u.realLabels, (r) => l.realLabels + r * l.classes)
    }
    // A G update reads only G's input: leave the real batch's part alone.
    const from = withReal ? 0 : l.gInput
    this.device.queue.writeBuffer(this.buffers.get('batch')!, from * 4, out, from, l.size - from)
  }

  async readLosses(): Promise<LossTotals> {
    const sums = this.buffers.get('sums')!
    const encoder = this.device.createCommandEncoder()
    encoder.copyBufferToBuffer(sums, 0, this.readback, 0, SUMS_WORDS * 4)
    encoder.clearBuffer(sums)
    this.device.queue.submit([encoder.finish()])
    await this.readback.mapAsync(READ)
    const [dLoss, dAcc, gLoss] = new Float32Array(this.readback.getMappedRange().slice(0))
    this.readback.unmap()
    this.inFlight = [] // the read-back waited for everything submitted before it
    const steps = this.pending
    this.pending = 0
    return { dLoss, dAcc, gLoss, steps }
  }

  /** Loads weights, moving statistics, Adam state, the weight average and the step counters. */
  async importState(state: EngineState): Promise<void> {
    const packed = this.state.map((s) =>
      packState(s, this.plan.buffers.get(s.buffer)!, state.tensors),
    )
    const { queue } = this.device
    this.state.forEach((s, i) => queue.writeBuffer(this.buffers.get(s.buffer)!, 0, packed[i]))
    const { g, d } = state.optimizerSteps
    queue.writeBuffer(this.buffers.get('ctl')!, 0, new Uint32Array([state.step, 0, d, g]))
    queue.writeBuffer(this.buffers.get('sums')!, 0, new Float32Array(SUMS_WORDS))
    this.step = state.step
    this.pending = 0
  }

  /**
   * Reads the state buffers and the step counters back through one staging buffer (made on the
   * first export, then reused) and one read-back.
   * @throws Error when the device's step count disagrees with the host's.
   */
  async exportState(): Promise<EngineState> {
    const sizes = this.state.map((s) => this.plan.buffers.get(s.buffer)! * 4)
    const total = sizes.reduce((a, b) => a + b, CTL_WORDS * 4)
    this.staging ??= this.device.createBuffer({ label: 'export', size: total, usage: MAP_READ })
    const encoder = this.device.createCommandEncoder()
    let offset = 0
    this.state.forEach((s, i) => {
      encoder.copyBufferToBuffer(this.buffers.get(s.buffer)!, 0, this.staging!, offset, sizes[i])
      offset += sizes[i]
    })
    encoder.copyBufferToBuffer(this.buffers.get('ctl')!, 0, this.staging, offset, CTL_WORDS * 4)
    this.device.queue.submit([encoder.finish()])
    await this.staging.mapAsync(READ)
    const bytes = this.staging.getMappedRange().slice(0)
    this.staging.unmap()
    const [step, , d, g] = new Uint32Array(bytes, offset, CTL_WORDS)
    if (step !== this.step) {
      throw new Error(`Expected the device at step ${this.step}, but it counted ${step}.`)
    }
    const tensors: NamedTensors = new Map()
    offset = 0
    this.state.forEach((s, i) => {
      unpackState(s, new Float32Array(bytes, offset, sizes[i] / 4), tensors)
      offset += sizes[i]
    })
    return { step, optimizerSteps: { g, d }, tensors }
  }

  /** Frees the engine's buffers. */
  dispose(): void {
    for (const b of this.buffers.values()) b.destroy()
    this.readback.destroy()
    this.staging?.destroy()
  }
}
