/**
 * @module test/trainer/run/progress
 * The TTY bar and the plain-lines fallback.
 */
import { describe, expect, it } from 'vitest'
import { formatDuration, Progress, renderBar } from '../../../trainer/run/progress'

const stats = { dLoss: 0.6931, dAcc: 0.52, gLoss: 0.7012 }

function sink(isTTY: boolean) {
  const chunks: string[] = []
  return { chunks, stream: { isTTY, columns: 100, write: (s: string) => chunks.push(s) } }
}

describe('progress', () => {
  it('should format durations', () => {
    expect(formatDuration(5)).toBe('0:05')
    expect(formatDuration(3725)).toBe('1:02:05')
    expect(formatDuration(NaN)).toBe('--:--')
  })

  it('should render step, rate, ETA and the losses within the width', () => {
    const bar = renderBar(50, 200, 10, stats, 100)
    expect(bar).toMatch(
      /^\[#+\.+\] 50\/200 10\.0 it\/s ETA 0:15 dLoss 0\.6931 dAcc 0\.52 gLoss 0\.7012$/,
    )
    expect(bar.length).toBeLessThan(100)
  })

  it('should draw a bar on a TTY and print log lines above it', () => {
    const { chunks, stream } = sink(true)
    const p = new Progress(10, 0, 'auto', stream)
    p.update(10, stats)
    p.log('step 10: ...')
    p.done()
    expect(chunks[0]).toMatch(/^\r\x1b\[2K\[#+\] 10\/10/)
    expect(chunks[1]).toBe('\r\x1b[2Kstep 10: ...\n')
  })

  it('should print only plain lines when not a TTY', () => {
    const { chunks, stream } = sink(false)
    const p = new Progress(10, 0, 'auto', stream)
    p.update(5, stats)
    p.log('step 5: ...')
    p.done()
    expect(chunks).toEqual(['step 5: ...\n'])
  })
})
