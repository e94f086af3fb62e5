/**
 * @module trainer/engines/webgpu-fused
 * The fused WebGPU training step for the tutorial MLP GANs (`--webgpu-step fused`): our own WGSL
 * kernels (engine/webgpu/wgsl.ts, sequenced by engine/webgpu/plan.ts) on tfjs's Dawn
 * device, instead of ~340 tfjs dispatches per GAN step.
 *
 * Why: on a real GPU this MLP is bound by host work per dispatch, not by math (docs/gpu.md). Here
 * every buffer (weights, Adam moments, activations, gradients, the weight average) is allocated
 * once; a D update is one `writeBuffer` (real batch, latents, labels, Adam scalars) and one
 * command buffer, a G update the same, and the losses of the whole step come back in one
 * `mapAsync`. Nothing is created per step.
 *
 * Same numbers as the tfjs path (trainer/core/gan.ts) up to float32 summation order: the latents and
 * labels are drawn by the same seeded calls and uploaded, Adam and the weight average use the same
 * formulas, BatchNorm the same batch statistics and Keras momentum update.
 *
 * A step engine (engine/step-engine.ts): it starts from a tfjs `Gan`'s state and hands its own
 * back as named tensors on demand (sample grids, checkpoints, export), so checkpoints are
 * interchangeable with the tfjs path.
 * @example const engine = await WebgpuStep.create(gan, config.dSteps, batches)
 */
/// <reference types="@webgpu/types" />
import {
  LossSums,
  type EngineState,
  type LossTotals,
  type NamedTensors,
  type StepEngine,
} from '../../engine/step-engine'
import { drawLabels, type Gan } from '../core/gan'
import { readGanState } from '../core/gan-state'
import type { RealBatch, RealBatches } from '../run/data'
import { mixSeed, SEED_PURPOSE } from '../../shared/latent/seed'
import { tf } from '../core/tf'
import type { TensorPlace } from '../../engine/webgpu/layout'
import { planStep, type StepPlan } from '../../engine/webgpu/plan'
import type { KernelSource } from '../../engine/webgpu/wgsl'

/** A whole GAN step's losses, averaged over its D updates as the training loop does. */
export interface FusedStepResult {
  dLoss: number
  dAcc: number
  gLoss: number
}

/** A recorded dispatch: everything bound once at creation. */
interface Op {
  pipeline: GPUComputePipeline
  bindGroup: GPUBindGroup
  grid: [number, number]
}

const STORAGE = 0x80 | 0x04 | 0x08 // GPUBufferUsage STORAGE | COPY_SRC | COPY_DST
const MAP_READ = 0x01 | 0x08 // GPUBufferUsage MAP_READ | COPY_DST

/** The fused step of one GAN on the webgpu backend. */
export class WebgpuStep implements StepEngine {
  private readonly host: Float32Array<ArrayBuffer>
  private readonly dOps: Op[]
  private readonly gOps: Op[]
  private tD: number
  private tG: number
  private readonly losses = new LossSums()
  step = 0

  private constructor(
    private readonly gan: Gan,
    private readonly device: GPUDevice,
    private readonly plan: StepPlan,
    private readonly buffers: Map<string, GPUBuffer>,
    private readonly readback: GPUBuffer,
    ops: { d: Op[]; g: Op[] },
    private readonly batches: RealBatches,
  ) {
    this.host = new Float32Array(plan.upload.size)
    this.dOps = ops.d
    this.gOps = ops.g
    this.tD = gan.optD.t
    this.tG = gan.optG.t
  }

  /**
   * Builds the engine for `gan` (the active tfjs backend must be webgpu) and loads its state at
   * GAN step `step`; `batches` gives the real batch of each D update (index `step · dSteps + k`).
   * @throws Error for a GAN outside the fused step's scope, or when WebGPU rejects a kernel.
   */
  static async create(
    gan: Gan,
    dSteps: number,
    batches: RealBatches,
    step = 0,
  ): Promise<WebgpuStep> {
    if (tf.getBackend() !== 'webgpu') {
      throw new Error(`Expected the webgpu backend for the fused step, but got ${tf.getBackend()}.`)
    }
    const { options } = gan
    if (options.loss !== 'bce' || options.dDropout !== 0) {
      throw new Error('Expected --loss bce and --d-dropout 0 for the fused WebGPU step.')
    }
    const plan = planStep(gan.model, {
      batch: options.batch,
      dSteps,
      labelSmoothing: options.labelSmoothing,
      beta1: options.beta1,
      beta2: options.beta2,
      epsilon: gan.optD.epsilon,
      ema: gan.gAverage ? gan.gAverage.decay : 0,
    })
    const device = (tf.backend() as unknown as { device: GPUDevice }).device
    device.pushErrorScope('validation')
    const buffers = new Map<string, GPUBuffer>()
    for (const [name, floats] of plan.buffers) {
      buffers.set(name, device.createBuffer({ label: name, size: floats * 4, usage: STORAGE }))
    }
    const readback = device.createBuffer({
      label: 'losses',
      size: plan.losses * 4,
      usage: MAP_READ,
    })
    const pipelines = new Map<string, GPUComputePipeline>()
    const layouts = new Map<number, GPUBindGroupLayout>()
    const record = (k: KernelSource): Op => {
      let layout = layouts.get(k.buffers.length)
      if (!layout) {
        layout = device.createBindGroupLayout({
          entries: k.buffers.map((_, binding) => ({
            binding,
            visibility: 4, // GPUShaderStage.COMPUTE
            buffer: { type: 'storage' as const },
          })),
        })
        layouts.set(k.buffers.length, layout)
      }
      let pipeline = pipelines.get(k.code)
      if (!pipeline) {
        pipeline = device.createComputePipeline({
          label: k.label,
          layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
          compute: { module: device.createShaderModule({ label: k.label, code: k.code }) },
        })
        pipelines.set(k.code, pipeline)
      }
      const bindGroup = device.createBindGroup({
        label: k.label,
        layout,
        entries: k.buffers.map((name, binding) => ({
          binding,
          resource: { buffer: buffers.get(name)! },
        })),
      })
      return { pipeline, bindGroup, grid: k.grid }
    }
    const ops = { d: plan.dUpdate.map(record), g: plan.gUpdate.map(record) }
    const error = await device.popErrorScope()
    if (error) {
      for (const b of [...buffers.values(), readback]) b.destroy()
      throw new Error(
        `Expected WebGPU to accept the fused step's kernels, but got: ${error.message}`,
      )
    }
    const engine = new WebgpuStep(gan, device, plan, buffers, readback, ops, batches)
    await engine.importState(await readGanState(gan, step))
    return engine
  }

  get description(): string {
    return `fused WebGPU step (${this.dOps.length} dispatches per D update, ${this.gOps.length} per G update)`
  }

  async run(n: number): Promise<void> {
    const dSteps = (this.plan.losses - 1) / 2
    for (let i = 0; i < n; i++) {
      const reals = Array.from({ length: dSteps }, (_, k) => this.batches(this.step * dSteps + k))
      const r = await this.runStep(this.step, reals)
      this.losses.add(r.dLoss, r.dAcc, r.gLoss)
      this.step += 1
    }
  }

  async readLosses(): Promise<LossTotals> {
    return this.losses.take()
  }

  /** Dispatches per D update and per G update, as recorded. */
  get dispatches(): { d: number; g: number } {
    return { d: this.dOps.length, g: this.gOps.length }
  }

  /**
   * One GAN step at generator step `step`: `reals.length` (= dSteps) D updates, then one G update;
   * the losses come back in one read-back at the end.
   */
  async runStep(step: number, reals: RealBatch[]): Promise<FusedStepResult> {
    const { plan, host, gan } = this
    const { upload } = plan
    const { batch, lrD, lrG, beta1, beta2 } = gan.options
    if (reals.length * 2 + 1 !== plan.losses) {
      throw new Error(`Expected ${(plan.losses - 1) / 2} real batches, but got ${reals.length}.`)
    }
    const up = this.buffers.get('up')!
    reals.forEach((real, k) => {
      if (real.images.length !== upload.realLabels) {
        throw new Error(`Expected ${upload.realLabels} real pixels, but got ${real.images.length}.`)
      }
      host.set(real.images, 0)
      if (plan.classes > 0) {
        if (!real.labels) throw new Error("Expected the real images' labels for a conditional GAN.")
        this.oneHot(upload.realLabels, plan.classes, real.labels)
      }
      host[upload.kSlot] = k
      this.tD += 1
      host[upload.dScalars] = lrD / (1 - beta1 ** this.tD)
      host[upload.dScalars + 1] = 1 - beta2 ** this.tD
      this.generatorInput(SEED_PURPOSE.dNoise, SEED_PURPOSE.dLabels, step, k)
      this.device.queue.writeBuffer(up, 0, host, 0, upload.gInput + batch * this.inputWidth)
      this.submit(this.dOps, false)
    })
    this.generatorInput(SEED_PURPOSE.gNoise, SEED_PURPOSE.gLabels, step, 0)
    this.tG += 1
    host[upload.gScalars] = lrG / (1 - beta1 ** this.tG)
    host[upload.gScalars + 1] = 1 - beta2 ** this.tG
    this.device.queue.writeBuffer(
      up,
      upload.gInput * 4,
      host,
      upload.gInput,
      upload.size - upload.gInput,
    )
    this.submit(this.gOps, true)
    await this.readback.mapAsync(1) // GPUMapMode.READ
    const losses = new Float32Array(this.readback.getMappedRange().slice(0))
    this.readback.unmap()
    let dLoss = 0
    let dAcc = 0
    reals.forEach((_, k) => {
      dLoss += losses[2 * k] / reals.length
      dAcc += losses[2 * k + 1] / reals.length
    })
    return { dLoss, dAcc, gLoss: losses[plan.losses - 1] }
  }

  private get inputWidth(): number {
    return this.plan.latentDim + this.plan.classes
  }

  /** G's input rows (latent, then one-hot), drawn as trainer/core/gan.ts draws them. */
  private generatorInput(noise: number, labels: number, step: number, k: number): void {
    const { gan, host, plan } = this
    const { batch, seed } = gan.options
    const L = plan.latentDim
    const w = this.inputWidth
    const t = tf.randomNormal([batch, L], 0, 1, 'float32', mixSeed(seed, noise, step, k))
    const z = t.dataSync() as Float32Array // drawn on the CPU; nothing was uploaded yet
    t.dispose()
    const base = plan.upload.gInput
    for (let r = 0; r < batch; r++) host.set(z.subarray(r * L, (r + 1) * L), base + r * w)
    if (plan.classes > 0) this.oneHot(base + L, w, drawLabels(gan, labels, step, k))
  }

  /** Writes one-hot rows for `labels` from `offset` on, rows `stride` floats apart. */
  private oneHot(offset: number, stride: number, labels: Int32Array): void {
    const C = this.plan.classes
    labels.forEach((label, r) => {
      const row = offset + r * stride
      this.host.fill(0, row, row + C)
      this.host[row + label] = 1
    })
  }

  private submit(ops: Op[], readLosses: boolean): void {
    const encoder = this.device.createCommandEncoder()
    const pass = encoder.beginComputePass()
    for (const op of ops) {
      pass.setPipeline(op.pipeline)
      pass.setBindGroup(0, op.bindGroup)
      pass.dispatchWorkgroups(op.grid[0], op.grid[1])
    }
    pass.end()
    if (readLosses) {
      encoder.copyBufferToBuffer(
        this.buffers.get('loss')!,
        0,
        this.readback,
        0,
        this.plan.losses * 4,
      )
    }
    this.device.queue.submit([encoder.finish()])
  }

  /** The engine's buffers that hold state, with each tensor's state name and place. */
  private mirrors(): { buffer: string; tensors: { place: TensorPlace; name: string }[] }[] {
    const { plan } = this
    const trainable = (places: TensorPlace[]) => places.filter((t) => t.buffer === 'params')
    const named = (places: TensorPlace[], prefix = '') =>
      places.map((place) => ({ place, name: `${prefix}${place.name}` }))
    const gParams = trainable(plan.g.tensors)
    const dParams = trainable(plan.d.tensors)
    const out = [
      { buffer: 'gp', tensors: named(gParams) },
      { buffer: 'gs', tensors: named(plan.g.tensors.filter((t) => t.buffer === 'state')) },
      { buffer: 'gm', tensors: named(gParams, 'optG.m.') },
      { buffer: 'gv', tensors: named(gParams, 'optG.v.') },
      { buffer: 'dp', tensors: named(dParams) },
      { buffer: 'dm', tensors: named(dParams, 'optD.m.') },
      { buffer: 'dv', tensors: named(dParams, 'optD.v.') },
    ]
    if (this.gan.gAverage) out.push({ buffer: 'gavg', tensors: named(gParams, 'gAvg.') })
    return out
  }

  /** Loads weights, moving statistics, Adam state and the weight average. */
  async importState(state: EngineState): Promise<void> {
    for (const { buffer, tensors } of this.mirrors()) {
      const data = new Float32Array(this.plan.buffers.get(buffer)!)
      for (const { place, name } of tensors) {
        const values = state.tensors.get(name)
        if (!values || values.length !== place.size) {
          throw new Error(`Expected state tensor ${name} with ${place.size} values.`)
        }
        data.set(values, place.offset)
      }
      this.device.queue.writeBuffer(this.buffers.get(buffer)!, 0, data)
    }
    this.tD = state.optimizerSteps.d
    this.tG = state.optimizerSteps.g
    this.step = state.step
  }

  /**
   * Reads weights, moving statistics, Adam state (and step counts) and the weight average back,
   * through one staging buffer and one read-back.
   */
  async exportState(): Promise<EngineState> {
    const mirrors = this.mirrors()
    const sizes = mirrors.map((m) => this.plan.buffers.get(m.buffer)! * 4)
    const total = sizes.reduce((a, b) => a + b, 0)
    const staging = this.device.createBuffer({ label: 'sync', size: total, usage: MAP_READ })
    const encoder = this.device.createCommandEncoder()
    let offset = 0
    mirrors.forEach((m, i) => {
      encoder.copyBufferToBuffer(this.buffers.get(m.buffer)!, 0, staging, offset, sizes[i])
      offset += sizes[i]
    })
    this.device.queue.submit([encoder.finish()])
    await staging.mapAsync(1) // GPUMapMode.READ
    const all = new Float32Array(staging.getMappedRange().slice(0))
    staging.unmap()
    staging.destroy()
    const tensors: NamedTensors = new Map()
    offset = 0
    mirrors.forEach((m, i) => {
      for (const { place, name } of m.tensors) {
        const start = offset / 4 + place.offset
        tensors.set(name, all.slice(start, start + place.size))
      }
      offset += sizes[i]
    })
    return { step: this.step, optimizerSteps: { g: this.tG, d: this.tD }, tensors }
  }

  /** Frees the engine's buffers (the tfjs GAN it was built from is untouched). */
  dispose(): void {
    for (const b of this.buffers.values()) b.destroy()
    this.readback.destroy()
  }
}
