/** @module test/trainer/eval/scores */
import { beforeAll, describe, expect, it } from 'vitest'
import { Xoshiro128 } from '../../../shared/latent/rng'
import {
  classHistogram,
  conditionalAccuracy,
  coverage,
  inceptionScore,
  klFromUniform,
  memorizationReport,
  nearestNeighbourDistances,
  predictedClasses,
  quantile,
  ScoreError,
} from '../../../trainer/eval/scores'
import { initBackend } from '../../../trainer/core/backend'
import { tf } from '../../../trainer/core/tf'

/** `count` one-hot rows, row i of class `classOf(i)`. */
function oneHot(count: number, classOf: (i: number) => number, classes = 10): Float32Array {
  const out = new Float32Array(count * classes)
  for (let i = 0; i < count; i++) out[i * classes + classOf(i)] = 1
  return out
}

describe('inceptionScore', () => {
  it('should be 10 for confident predictions spread evenly over 10 classes', () => {
    expect(
      inceptionScore(
        oneHot(1000, (i) => i % 10),
        1000,
      ),
    ).toBeCloseTo(10, 10)
  })

  it('should be 1 when every sample is the same class', () => {
    expect(
      inceptionScore(
        oneHot(1000, () => 3),
        1000,
      ),
    ).toBeCloseTo(1, 12)
  })

  it('should be 1 when every prediction is unsure', () => {
    expect(inceptionScore(new Float32Array(1000).fill(0.1), 100)).toBeCloseTo(1, 6)
  })

  it('should be the number of classes used when they are used evenly', () => {
    expect(
      inceptionScore(
        oneHot(1000, (i) => i % 4),
        1000,
      ),
    ).toBeCloseTo(4, 10)
  })

  it('should reject a probability table of the wrong size', () => {
    expect(() => inceptionScore(new Float32Array(15), 2)).toThrow(ScoreError)
  })
})

describe('class histogram, coverage and KL', () => {
  it('should measure a balanced set as full coverage and KL 0', () => {
    const hist = classHistogram(
      predictedClasses(
        oneHot(500, (i) => i % 10),
        500,
      ),
    )
    expect(hist).toEqual(new Array(10).fill(0.1))
    expect(coverage(hist)).toBe(10)
    expect(klFromUniform(hist)).toBeCloseTo(0, 12)
  })

  it('should measure a single class as coverage 1 and KL ln 10', () => {
    const hist = classHistogram(new Uint8Array(100).fill(7))
    expect(hist[7]).toBe(1)
    expect(coverage(hist)).toBe(1)
    expect(klFromUniform(hist)).toBeCloseTo(Math.log(10), 12)
  })

  it('should count a class at exactly 5% as covered and one below as not', () => {
    const predicted = new Uint8Array(100)
    predicted.fill(1, 0, 5) // 5 %
    predicted.fill(2, 5, 9) // 4 %
    expect(coverage(classHistogram(predicted))).toBe(2)
  })

  it('should pick the argmax class of each row', () => {
    expect([...predictedClasses([0.1, 0.7, 0.2, 0.5, 0.2, 0.3], 2, 3)]).toEqual([1, 0])
  })

  it('should reject classes out of range', () => {
    expect(() => classHistogram([0, 10])).toThrow(/Expected classes 0..9, but got 10 at index 1/)
  })
})

describe('quantile', () => {
  it('should interpolate between order statistics', () => {
    expect(quantile([3, 1, 2, 4], 0.5)).toBe(2.5)
    expect(quantile([3, 1, 2, 4], 0)).toBe(1)
    expect(quantile([3, 1, 2, 4], 1)).toBe(4)
  })
})

describe('nearestNeighbourDistances', () => {
  beforeAll(async () => {
    await initBackend('wasm')
  })

  it('should match a brute-force search', async () => {
    const rng = new Xoshiro128(9)
    const dim = 50
    const queries = Float32Array.from({ length: 37 * dim }, () => rng.nextFloat())
    const reference = Float32Array.from({ length: 53 * dim }, () => rng.nextFloat())
    const before = tf.memory().numTensors
    const got = await nearestNeighbourDistances(queries, reference, dim, 10)
    expect(tf.memory().numTensors).toBe(before)
    for (let q = 0; q < 37; q++) {
      let best = Infinity
      for (let r = 0; r < 53; r++) {
        let d = 0
        for (let k = 0; k < dim; k++) d += (queries[q * dim + k] - reference[r * dim + k]) ** 2
        best = Math.min(best, d)
      }
      expect(got[q]).toBeCloseTo(Math.sqrt(best), 3)
    }
  })

  it('should find copies at distance 0', async () => {
    const reference = Float32Array.from({ length: 4 * 784 }, (_, i) => (i % 7) / 7)
    const got = await nearestNeighbourDistances(reference.slice(784, 3 * 784), reference, 784)
    expect(Math.max(...got)).toBeLessThan(1e-2)
  })
})

describe('memorizationReport', () => {
  it('should flag samples that sit closer to the training set than real digits', () => {
    const real = Float32Array.from({ length: 1000 }, (_, i) => 5 + i / 1000)
    const honest = memorizationReport(
      Float32Array.from(real, (x) => x + 0.0001),
      real,
    )
    expect(honest.fractionBelowRealP01).toBeLessThan(0.02)
    const copies = memorizationReport(new Float32Array(1000), real)
    expect(copies.generatedMin).toBe(0)
    expect(copies.fractionBelowRealP01).toBe(1)
    expect(copies.realP01).toBeCloseTo(5.01, 2)
  })
})

describe('conditionalAccuracy', () => {
  it('should count agreement overall and per requested class', () => {
    const r = conditionalAccuracy([0, 1, 1, 2, 2, 2], [0, 1, 0, 2, 2, 1], 4)
    expect(r.overall).toBeCloseTo(4 / 6, 12)
    expect(r.perClass.slice(0, 3)).toEqual([1, 0.5, 2 / 3])
    expect(r.perClass[3]).toBeNaN() // never requested
  })

  it('should reject label lists of different or zero length', () => {
    expect(() => conditionalAccuracy([0, 1], [0], 2)).toThrow(RangeError)
    expect(() => conditionalAccuracy([], [], 2)).toThrow(/non-empty/)
  })
})
