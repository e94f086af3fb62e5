/**
 * @module engine/cpu/inputs
 * What a GAN step consumes besides the weights: each D update's real batch, and the latents and
 * class labels G draws its fakes from. The engine asks a {@link StepInputs} for them, so tests can
 * inject exactly what the tfjs path used; in production {@link seededInputs} draws them itself:
 *
 * - Real batches: batch number `step·dSteps + k` of the epoch order of shared/latent/batch-order.ts (the
 *   same images trainer/run/data.ts's BatchSampler gives the tfjs path), pixels `v / 127.5 − 1`.
 * - Latents: row r is `sampleLatent(mixSeed(seed, purpose, step, k, r), latentDim)`
 *   (shared/latent/latent.ts: xoshiro128** and Marsaglia's polar method, bit-identical in every JS
 *   engine), purpose `dNoise` for D update k, `gNoise` (k = 0) for the G update. The engine draws
 *   these inside its module, on all threads (engine/cpu/wat-latent.ts); `latents` here is the
 *   JavaScript twin a test compares it with. The tfjs path draws its latents with
 *   `tf.randomNormal` instead, whose stream cannot be reproduced outside tfjs: the two paths train
 *   on different noise, each deterministically.
 * - Labels (conditional models): `min(C − 1, ⌊u·C⌋)` with u from `Xoshiro128(mixSeed(seed,
 *   purpose, step, k))`, purposes `dLabels` / `gLabels`: exactly trainer/core/gan.ts's `drawLabels`.
 */
import { shuffleEpoch } from '../../shared/latent/batch-order'
import { sampleLatent } from '../../shared/latent/latent'
import { Xoshiro128 } from '../../shared/latent/rng'
import { mixSeed, SEED_PURPOSE } from '../../shared/latent/seed'

/** Which update of a step draws: D update k, or the G update. */
export type Update = 'd' | 'g'

/** A real batch: images `[batch·784]` in [−1, 1] and, for a conditional model, their labels. */
export interface RealBatch {
  images: Float32Array
  labels?: Int32Array
}

/** The inputs of every update of every step. */
export interface StepInputs {
  /** The real batch of D update `k` of step `step` (the engine copies it before the next call). */
  real(step: number, k: number): RealBatch
  /** G's latents `[batch·latentDim]` for D update `k` (`'d'`) or the G update (`'g'`, k = 0). */
  latents(update: Update, step: number, k: number): Float32Array
  /** The class of each fake (conditional models only). */
  labels(update: Update, step: number, k: number): Int32Array
}

/** Training images as trainer/run/data.ts loads them: `[count, 784]` bytes, `[count]` labels. */
export interface TrainingImages {
  images: Uint8Array
  labels: Uint8Array
  /** Images used (the first `count`; `--data-limit` may cut the set short). */
  count: number
}

/** The shape of what to draw. */
export interface DrawShape {
  seed: number
  batch: number
  dSteps: number
  latentDim: number
  classes: number
}

const PIXELS = 784

/**
 * The production inputs: seeded draws and the shared epoch order (see the module doc).
 * @throws RangeError when the data holds fewer images than one batch.
 */
export function seededInputs(data: TrainingImages, shape: DrawShape): StepInputs {
  const { seed, batch, dSteps, latentDim, classes } = shape
  if (
    !Number.isInteger(data.count) ||
    data.count < batch ||
    data.images.length < data.count * PIXELS
  ) {
    throw new RangeError(
      `Expected at least one batch (${batch}) of training images, but got ${data.count}.`,
    )
  }
  const perEpoch = Math.floor(data.count / batch)
  const order = new Uint32Array(data.count)
  let epoch = -1
  const purposes = {
    d: { noise: SEED_PURPOSE.dNoise, labels: SEED_PURPOSE.dLabels },
    g: { noise: SEED_PURPOSE.gNoise, labels: SEED_PURPOSE.gLabels },
  }
  // v / 127.5 − 1 for every byte, rounded to float32 as trainer/run/data.ts's gatherBatch stores it.
  const pixel = Float32Array.from({ length: 256 }, (_, v) => v / 127.5 - 1)
  const images = new Float32Array(batch * PIXELS)
  const labels = new Int32Array(batch)
  return {
    real(step, k) {
      const index = step * dSteps + k
      const e = Math.floor(index / perEpoch)
      if (e !== epoch) {
        shuffleEpoch(order, seed, e)
        epoch = e
      }
      const start = (index % perEpoch) * batch
      const bytes = data.images
      for (let r = 0; r < batch; r++) {
        const src = order[start + r]
        labels[r] = data.labels[src]
        const row = bytes.subarray(src * PIXELS, (src + 1) * PIXELS)
        const out = r * PIXELS
        for (let p = 0; p < PIXELS; p++) images[out + p] = pixel[row[p]]
      }
      return { images, labels }
    },
    latents(update, step, k) {
      const out = new Float32Array(batch * latentDim)
      const purpose = purposes[update].noise
      for (let r = 0; r < batch; r++) {
        out.set(sampleLatent(mixSeed(seed, purpose, step, k, r), latentDim), r * latentDim)
      }
      return out
    },
    labels(update, step, k) {
      const rng = new Xoshiro128(mixSeed(seed, purposes[update].labels, step, k))
      return Int32Array.from({ length: batch }, () =>
        Math.min(classes - 1, Math.floor(rng.nextFloat() * classes)),
      )
    },
  }
}
