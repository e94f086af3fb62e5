/**
 * @module trainer/engines/tfjs
 * The tfjs step engine: trainer/core/gan.ts's discriminator and generator steps, op by op on the
 * active tfjs backend. It runs every model and loss the trainer knows; the fused engines run the
 * tutorial MLPs faster where they apply (trainer/engines/create.ts chooses).
 *
 * The GAN it trains is the one it was given, so its state is that GAN's variables.
 * @example const engine = new TfjsEngine(gan, config.dSteps, batches)
 */
import { LossSums, type EngineState, type LossTotals, type StepEngine } from '../../engine/step-engine'
import { discriminatorStep, generatorStep, type Gan } from '../core/gan'
import { readGanState, writeGanState } from '../core/gan-state'
import { tf } from '../core/tf'
import type { RealBatches } from '../run/data'

const IMAGE_SIZE = 784

/** trainer/core/gan.ts's steps behind the step-engine seam. */
export class TfjsEngine implements StepEngine {
  readonly description = 'tfjs ops'
  private readonly losses = new LossSums()

  constructor(
    private readonly gan: Gan,
    private readonly dSteps: number,
    private readonly batches: RealBatches,
    public step = 0,
  ) {}

  async run(n: number): Promise<void> {
    const { gan, dSteps } = this
    for (let i = 0; i < n; i++) {
      const step = this.step
      let dLoss = 0
      let dAcc = 0
      for (let k = 0; k < dSteps; k++) {
        const batch = this.batches(step * dSteps + k)
        const real = tf.tensor2d(batch.images, [gan.options.batch, IMAGE_SIZE])
        const r = await discriminatorStep(gan, real, step, k, batch.labels)
        real.dispose()
        dLoss += r.dLoss / dSteps
        dAcc += r.dAcc / dSteps
      }
      const { gLoss } = await generatorStep(gan, step)
      this.losses.add(dLoss, dAcc, gLoss)
      this.step += 1
    }
  }

  async readLosses(): Promise<LossTotals> {
    return this.losses.take()
  }

  exportState(): Promise<EngineState> {
    return readGanState(this.gan, this.step)
  }

  async importState(state: EngineState): Promise<void> {
    writeGanState(this.gan, state)
    this.step = state.step
  }

  /** Nothing to free: the GAN belongs to the caller. */
  dispose(): void {}
}
