/**
 * @module test/shared/train/balance
 * Balance warnings on synthetic metric histories, each naming its remedy.
 */
import { describe, expect, it } from 'vitest'
import {
  checkBalance,
  meanPairwiseDistance,
  slope,
  type BalancePoint,
} from '../../../shared/train/balance'

const history = (f: (i: number) => Partial<BalancePoint>, n = 12): BalancePoint[] =>
  Array.from({ length: n }, (_, i) => ({
    step: (i + 1) * 100,
    dLoss: 0.6,
    dAcc: 0.7,
    gLoss: 0.9 + 0.01 * Math.sin(i),
    ...f(i),
  }))

const codes = (points: BalancePoint[], loss: 'bce' | 'wgan-gp' = 'bce') =>
  checkBalance(points, { loss }).map((w) => w.code)

describe('checkBalance', () => {
  it('should stay quiet on a healthy run', () => {
    expect(codes(history(() => ({})))).toEqual([])
  })

  it('should flag a discriminator whose loss stays near 0 and name the remedies', () => {
    const warnings = checkBalance(
      history(() => ({ dLoss: 0.01, gLoss: 5 })),
      { loss: 'bce' },
    )
    const strong = warnings.find((w) => w.code === 'd-too-strong')!
    expect(strong.message).toMatch(/--d-steps/)
    expect(strong.message).toMatch(/--lr-d/)
    expect(strong.message).toMatch(/--d-dropout/)
    expect(strong.message).toMatch(/--loss wgan-gp/)
    expect(
      codes(
        history(() => ({ dLoss: 0.01 })),
        'wgan-gp',
      ),
    ).not.toContain('d-too-strong')
  })

  it('should flag a rising generator loss', () => {
    const w = checkBalance(
      history((i) => ({ gLoss: 1 + 0.5 * i })),
      { loss: 'bce' },
    )
    expect(w.map((x) => x.code)).toContain('g-loss-rising')
    expect(w.find((x) => x.code === 'g-loss-rising')!.message).toMatch(/--lr-d/)
  })

  it('should flag a stalled generator loss', () => {
    expect(codes(history(() => ({ gLoss: 0.6931 })))).toContain('g-loss-stalled')
  })

  it('should flag collapsing sample diversity', () => {
    const points = history((i) => ({ diversity: i < 6 ? 10 : 3 }))
    const w = checkBalance(points).find((x) => x.code === 'diversity-collapse')!
    expect(w.message).toMatch(/collapsing/)
    expect(w.message).toMatch(/--loss wgan-gp/)
  })

  it('should wait for a full window', () => {
    expect(codes(history(() => ({ dLoss: 0.01 }), 5))).toEqual([])
  })
})

describe('helpers', () => {
  it('should fit a slope', () => {
    expect(slope([1, 2, 3, 4])).toBeCloseTo(1)
    expect(slope([5])).toBe(0)
  })

  it('should measure mean pairwise distance', () => {
    const images = new Float32Array([0, 0, 3, 4, 0, 0])
    expect(meanPairwiseDistance(images, 3, 2)).toBeCloseTo((5 + 0 + 5) / 3)
    expect(meanPairwiseDistance(new Float32Array([1, 1, 1, 1]), 2, 2)).toBe(0)
  })
})
