/**
 * @module test/trainer/core/losses
 * BCE on logits equals the textbook formula and stays finite where the sigmoid saturates.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import {
  bceWithLogits,
  criticAccuracy,
  discriminatorAccuracy,
  discriminatorBce,
  gradientPenalty,
} from '../../../trainer/core/losses'
import { initBackend } from '../../../trainer/core/backend'
import { tf } from '../../../trainer/core/tf'

beforeAll(async () => {
  await initBackend('wasm')
})

const value = (t: tf.Scalar): number => t.dataSync()[0]

describe('losses', () => {
  it('should equal −[y·log σ(x) + (1−y)·log(1−σ(x))]', () => {
    const xs = [-3, -0.5, 0, 0.7, 4]
    for (const y of [0, 0.9, 1]) {
      const expected =
        xs.reduce((s, x) => {
          const p = 1 / (1 + Math.exp(-x))
          return s - (y * Math.log(p) + (1 - y) * Math.log(1 - p))
        }, 0) / xs.length
      expect(value(bceWithLogits(tf.tensor2d(xs, [5, 1]), y))).toBeCloseTo(expected, 5)
    }
  })

  it('should stay finite for saturated logits', () => {
    const loss = value(bceWithLogits(tf.tensor2d([200, -200], [2, 1]), 1))
    expect(loss).toBeCloseTo(100, 3)
  })

  it('should average real and fake BCE with one-sided smoothing', () => {
    const real = tf.tensor2d([2, 1], [2, 1])
    const fake = tf.tensor2d([-1, 0.5], [2, 1])
    const expected = (value(bceWithLogits(real, 0.9)) + value(bceWithLogits(fake, 0))) / 2
    expect(value(discriminatorBce(real, fake, 0.1))).toBeCloseTo(expected, 6)
  })

  it('should count correct decisions', () => {
    const real = tf.tensor2d([2, -1, 3, 1], [4, 1])
    const fake = tf.tensor2d([-2, -1, 1, -3], [4, 1])
    expect(value(discriminatorAccuracy(real, fake))).toBeCloseTo(0.75, 6)
    expect(value(criticAccuracy(real, fake))).toBeCloseTo(0.75, 6)
  })

  it('should penalize input-gradient norms away from 1', () => {
    const g = tf.tensor2d([3, 4, 0.6, 0.8], [2, 2]) // norms 5 and 1
    expect(value(gradientPenalty(g))).toBeCloseTo(8, 4)
  })
})
