/**
 * @module engine/cpu/input-writer
 * What the host writes into the module's memory before each GAN step of the fused CPU step: every
 * D update's real images and one-hot labels, G's inputs (the latent seeds, or the latents
 * themselves when they are injected, and the fakes' one-hot labels next to them and next to the
 * fakes in D's input), and each update's Adam scalars. Everything else the step reads is already
 * in memory.
 */
import { mixSeed, SEED_PURPOSE } from '../../shared/latent/seed'
import type { StepInputs, Update } from './inputs'
import type { StepLayout } from './layout'
import type { WasmMemory } from './threads'

const PIXELS = 784

/** `base^exp` by repeated squaring: IEEE multiplications only, the same bits in every engine. */
function power(base: number, exp: number): number {
  let result = 1
  let b = base
  for (let e = exp; e > 0; e = Math.floor(e / 2)) {
    if (e % 2 === 1) result *= b
    b *= b
  }
  return result
}

/** The options the writes depend on (engine/cpu/engine.ts's CpuEngineOptions has them). */
export interface WriterOptions {
  seed: number
  lrD: number
  lrG: number
  beta1: number
  beta2: number
}

/** Writes one step's inputs (see the module doc). */
export class InputWriter {
  private readonly f32: Float32Array

  constructor(
    private readonly layout: StepLayout,
    private readonly options: WriterOptions,
    private readonly memory: WasmMemory,
    private readonly inputs: StepInputs,
    /** The module draws the latents (the seeded inputs); else `inputs.latents` gives them. */
    private readonly drawsLatents: boolean,
  ) {
    this.f32 = new Float32Array(memory.buffer)
  }

  /** The inputs of GAN step `step`, whose updates follow Adam steps `tD` (D) and `tG` (G). */
  write(step: number, tD: number, tG: number): void {
    const { layout, options } = this
    for (let k = 0; k < layout.dSteps; k++) {
      this.writeReal(layout.dx[k], this.inputs.real(step, k))
      this.writeGenerator('d', step, k, layout.gIn[k], layout.dx[k] + layout.batch * layout.dStride)
      this.writeScalars(layout.scalars[k], options.lrD, tD + k + 1)
    }
    this.writeGenerator('g', step, 0, layout.gIn[layout.dSteps], layout.gdx)
    this.writeScalars(layout.scalars[layout.dSteps], options.lrG, tG + 1)
  }

  /** Real images (rows 0..B−1 of `dx`) and their one-hot labels. */
  private writeReal(dx: number, real: { images: Float32Array; labels?: Int32Array }): void {
    const { batch, dStride, classes } = this.layout
    if (real.images.length !== batch * PIXELS) {
      throw new RangeError(`Expected ${batch * PIXELS} real pixels, but got ${real.images.length}.`)
    }
    for (let r = 0; r < batch; r++) {
      this.f32.set(real.images.subarray(r * PIXELS, (r + 1) * PIXELS), (dx + r * dStride) / 4)
    }
    if (classes > 0) {
      if (!real.labels)
        throw new RangeError("Expected the real images' labels for a conditional GAN.")
      this.oneHot(dx + PIXELS * 4, dStride, real.labels)
    }
  }

  /** G's input rows (latent, then one-hot) and the same one-hot next to its fakes in D's input. */
  private writeGenerator(
    update: Update,
    step: number,
    k: number,
    gIn: number,
    fakes: number,
  ): void {
    const { batch, latentDim, gStride, dStride, classes, dSteps, seeds } = this.layout
    if (this.drawsLatents) {
      const purpose = update === 'd' ? SEED_PURPOSE.dNoise : SEED_PURPOSE.gNoise
      const slot = seeds[update === 'd' ? k : dSteps] / 4
      new Uint32Array(this.memory.buffer)[slot] = mixSeed(this.options.seed, purpose, step, k)
    } else {
      const z = this.inputs.latents(update, step, k)
      if (z.length !== batch * latentDim) {
        throw new RangeError(`Expected ${batch * latentDim} latent values, but got ${z.length}.`)
      }
      for (let r = 0; r < batch; r++) {
        this.f32.set(z.subarray(r * latentDim, (r + 1) * latentDim), (gIn + r * gStride) / 4)
      }
    }
    if (classes > 0) {
      const labels = this.inputs.labels(update, step, k)
      this.oneHot(gIn + latentDim * 4, gStride, labels)
      this.oneHot(fakes + PIXELS * 4, dStride, labels)
    }
  }

  /** One-hot rows of `labels` at `address`, rows `stride` bytes apart. */
  private oneHot(address: number, stride: number, labels: Int32Array): void {
    const { batch, classes } = this.layout
    if (labels.length !== batch) {
      throw new RangeError(`Expected ${batch} labels, but got ${labels.length}.`)
    }
    for (let r = 0; r < batch; r++) {
      const row = (address + r * stride) / 4
      const label = labels[r]
      if (!(label >= 0 && label < classes)) {
        throw new RangeError(`Expected labels in 0..${classes - 1}, but got ${label}.`)
      }
      this.f32.fill(0, row, row + classes)
      this.f32[row + label] = 1
    }
  }

  /** Adam's `[lr / (1 − β1^t), 1 − β2^t]` for an update at optimizer step t. */
  private writeScalars(address: number, lr: number, t: number): void {
    const { beta1, beta2 } = this.options
    this.f32[address / 4] = lr / (1 - power(beta1, t))
    this.f32[address / 4 + 1] = 1 - power(beta2, t)
  }
}
