/**
 * @module trainer/eval/fid-floor
 * The real-data reference printed beside a generator's FID: what real MNIST digits score at the
 * same sample count n.
 *
 * FID is biased upwards at finite n (the feature covariance of n images is noisy), so a score only
 * means something next to a reference computed at the same n: at n = 10 000 real training digits
 * score about 2, at n = 2 000 about 6. One set of n digits is itself a noisy reference: the first
 * 2 000 training digits score 7.46 against the test set, the next four sets of 2 000 4.5–6.5.
 * So the floor is the mean over up to `maxSets` disjoint sets of n training digits (train[0..n),
 * train[n..2n), …), printed with its range. It is what real digits score at this n, not a bound:
 * a generator whose samples vary less than real digits (exactly balanced classes, tidier strokes)
 * gains less bias at small n and can land inside or below the range.
 */
import { frechetDistance, type GaussianStats } from './fid'

const PIXELS = 784

/** The FID of real training digits vs the reference set, at one sample count. */
export interface FidFloor {
  /** Images per set: the n of the score this floor goes with. */
  n: number
  /** Disjoint training sets averaged. */
  sets: number
  mean: number
  min: number
  max: number
}

/**
 * How many disjoint sets of `n` images fit in `available` images, at most `maxSets`.
 * @example floorSetCount(60000, 10000, 5) // 5
 */
export function floorSetCount(available: number, n: number, maxSets: number): number {
  return Math.max(0, Math.min(maxSets, Math.floor(available / n)))
}

/**
 * FID of up to `maxSets` disjoint sets of `n` training digits (`train[k·n .. (k+1)·n)` of the
 * grey `[count, 784]` images) against `reference`, each set summarized by `stats` (the
 * classifier's feature statistics).
 * @throws RangeError when not even one set of `n` images is available.
 * @example const floor = await fidFloor(train.images, train.count, 2000, 5, testStats, stats)
 */
export async function fidFloor(
  trainGray: Uint8Array,
  count: number,
  n: number,
  maxSets: number,
  reference: GaussianStats,
  stats: (gray: Uint8Array, n: number) => Promise<GaussianStats>,
): Promise<FidFloor> {
  const sets = floorSetCount(count, n, maxSets)
  if (sets < 1) {
    throw new RangeError(`Expected at least ${n} training digits for the floor, but got ${count}.`)
  }
  const values: number[] = []
  for (let k = 0; k < sets; k++) {
    const gray = trainGray.subarray(k * n * PIXELS, (k + 1) * n * PIXELS)
    values.push(frechetDistance(await stats(gray, n), reference))
  }
  return {
    n,
    sets,
    mean: values.reduce((a, b) => a + b, 0) / sets,
    min: Math.min(...values),
    max: Math.max(...values),
  }
}
