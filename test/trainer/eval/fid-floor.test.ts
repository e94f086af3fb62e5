/**
 * @module test/trainer/eval/fid-floor
 * The FID floor is taken at the score's own n: every set handed to the feature statistics holds
 * exactly n images, the sets are consecutive and disjoint, and the result is their mean and range.
 */
import { describe, expect, it } from 'vitest'
import { floorSetCount, fidFloor } from '../../../trainer/eval/fid-floor'
import { frechetDistance, gaussianStats, type GaussianStats } from '../../../trainer/eval/fid'

const PIXELS = 784

/** Two features per image (its first two pixels), so a set's statistics depend on which images. */
const stats = (gray: Uint8Array, n: number): GaussianStats => {
  const features = new Float64Array(n * 2)
  for (let i = 0; i < n; i++) {
    features[i * 2] = gray[i * PIXELS]
    features[i * 2 + 1] = gray[i * PIXELS + 1]
  }
  return gaussianStats(features, n, 2)
}

/** `count` images whose first two pixels follow their index, so sets differ. */
function images(count: number): Uint8Array {
  const gray = new Uint8Array(count * PIXELS)
  for (let i = 0; i < count; i++) {
    gray[i * PIXELS] = (i * 7) % 251
    gray[i * PIXELS + 1] = (i * i) % 241
  }
  return gray
}

describe('fidFloor', () => {
  it('should count the disjoint sets that fit, capped', () => {
    expect(floorSetCount(60000, 10000, 5)).toBe(5)
    expect(floorSetCount(60000, 20000, 5)).toBe(3)
    expect(floorSetCount(60000, 60000, 5)).toBe(1)
    expect(floorSetCount(100, 200, 5)).toBe(0)
  })

  it('should score sets of exactly n consecutive, disjoint images and average them', async () => {
    const gray = images(1000)
    const reference = stats(gray, 1000)
    const seen: { offset: number; n: number; length: number }[] = []
    const floor = await fidFloor(gray, 1000, 150, 4, reference, async (set, n) => {
      seen.push({ offset: set.byteOffset / PIXELS, n, length: set.length })
      return stats(set, n)
    })
    expect(seen).toEqual(
      [0, 150, 300, 450].map((offset) => ({ offset, n: 150, length: 150 * PIXELS })),
    )
    const fids = [0, 1, 2, 3].map((k) => {
      const set = gray.subarray(k * 150 * PIXELS, (k + 1) * 150 * PIXELS)
      return frechetDistance(stats(set, 150), reference)
    })
    expect(floor).toEqual({
      n: 150,
      sets: 4,
      mean: (fids[0] + fids[1] + fids[2] + fids[3]) / 4,
      min: Math.min(...fids),
      max: Math.max(...fids),
    })
    expect(floor.min).toBeLessThan(floor.max)
  })

  it('should refuse an n larger than the training images', async () => {
    const gray = images(100)
    const floor = fidFloor(gray, 100, 200, 5, stats(gray, 100), async (s, n) => stats(s, n))
    await expect(floor).rejects.toThrow(
      /Expected at least 200 training digits for the floor, but got 100\./,
    )
  })
})
