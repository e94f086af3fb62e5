/**
 * @module test/web/train/run-record
 * The browser run's history: a chart point per 10 steps averaging exactly those steps, a balance
 * point per 50 carrying the last sample diversity, images counted with the knobs in force, and a
 * long run's chart thinned rather than grown without bound.
 */
import { describe, expect, it } from 'vitest'
import { MAX_POINTS, newRecord, nextBoundary, recordLosses } from '../../../web/train/run-record'
import { DEFAULT_SETTINGS } from '../../../web/train/settings'

const totals = (steps: number, dLoss: number) => ({
  dLoss: dLoss * steps,
  dAcc: 0.5 * steps,
  gLoss: 2 * steps,
  steps,
})

describe('web/train/run-record', () => {
  it('should close a point at each 10-step boundary with the mean of its steps', () => {
    const record = newRecord(DEFAULT_SETTINGS)
    expect(recordLosses(record, totals(4, 1), 4)).toEqual([])
    expect(nextBoundary(4)).toBe(10)
    expect(recordLosses(record, totals(6, 0.5), 10)).toEqual([
      { step: 10, dLoss: 0.7, dAcc: 0.5, gLoss: 2 },
    ])
    expect(record.imagesSeen).toBe(10 * DEFAULT_SETTINGS.batch)
  })

  it('should add a balance point every 50 steps with the diversity measured since', () => {
    const record = newRecord(DEFAULT_SETTINGS)
    for (let step = 10; step <= 100; step += 10) {
      if (step === 40) record.diversity = 3.5
      recordLosses(record, totals(10, 0.6), step)
    }
    expect(record.balance.map((p) => p.step)).toEqual([50, 100])
    expect(record.balance[0].diversity).toBe(3.5)
    expect(record.balance[1].diversity).toBeUndefined()
  })

  it('should keep every other point of a long run, and the latest', () => {
    const record = newRecord(DEFAULT_SETTINGS)
    for (let i = 1; i <= MAX_POINTS + 1; i++) recordLosses(record, totals(10, 0.6), 10 * i)
    expect(record.points.length).toBeLessThanOrEqual(MAX_POINTS / 2 + 1)
    expect(record.points[record.points.length - 1].step).toBe(10 * (MAX_POINTS + 1))
  })
})
