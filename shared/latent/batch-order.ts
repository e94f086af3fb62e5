/**
 * @module shared/latent/batch-order
 * The order in which training images are drawn: a fresh Fisher–Yates shuffle per epoch, seeded from
 * `(seed, epoch)`, so batch number i is the same images on every run and after every resume. The
 * trainer's BatchSampler (trainer/run/data.ts) and the fused CPU step (engine/cpu) both draw with it.
 */
import { Xoshiro128 } from './rng'

/**
 * Fills `order` with the permutation of `0 .. order.length − 1` used in epoch `epoch`.
 * @example const order = new Uint32Array(60000); shuffleEpoch(order, 42, 0)
 */
export function shuffleEpoch(order: Uint32Array, seed: number, epoch: number): void {
  const rng = new Xoshiro128((seed + Math.imul(epoch, 0x9e3779b9)) >>> 0)
  for (let i = 0; i < order.length; i++) order[i] = i
  for (let i = order.length - 1; i > 0; i--) {
    // floor(u·(i+1)) with 32-bit u: bias below 2^-16 for 60k images, irrelevant for shuffling.
    const j = Math.floor(rng.nextFloat() * (i + 1))
    const t = order[i]
    order[i] = order[j]
    order[j] = t
  }
}
