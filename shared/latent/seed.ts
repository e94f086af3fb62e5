/**
 * @module shared/latent/seed
 * Derives the seed of every random op from the run seed and the op's coordinates (step, purpose,
 * layer), so a run is a pure function of `--seed` and resuming at step N needs no saved generator
 * state: step N draws the same noise whether or not the process restarted before it.
 */

/** Purposes of random draws; distinct constants keep their streams apart. */
export const SEED_PURPOSE = {
  init: 1,
  dNoise: 2,
  gNoise: 3,
  dDropout: 4,
  gDropout: 5,
  gpMix: 6,
  bnNoise: 7,
  dLabels: 8,
  gLabels: 9,
} as const

/**
 * Mixes integers into one uint32 seed (murmur3-style finalizer over each part).
 * @example mixSeed(42, SEED_PURPOSE.dNoise, 120, 0) // same value on every run
 */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x01000193)
    h ^= h >>> 16
    h = Math.imul(h, 0x85ebca6b)
    h ^= h >>> 13
    h = Math.imul(h, 0xc2b2ae35)
    h ^= h >>> 16
  }
  return h >>> 0
}
