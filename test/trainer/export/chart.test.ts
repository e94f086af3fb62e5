/**
 * @module test/trainer/export/chart
 * The loss chart: a 640×360 RGB PNG with one coloured line per series, robust to empty and
 * non-finite input.
 */
import { describe, expect, it } from 'vitest'
import {
  CHART_COLORS,
  CHART_HEIGHT,
  CHART_WIDTH,
  plotLossChart,
  renderLossChart,
  type LossPoint,
  type Raster,
} from '../../../trainer/export/chart'

function countColor(r: Raster, [red, green, blue]: readonly number[]): number {
  let n = 0
  for (let i = 0; i < r.pixels.length; i += 3) {
    if (r.pixels[i] === red && r.pixels[i + 1] === green && r.pixels[i + 2] === blue) n++
  }
  return n
}

function curve(steps: number): LossPoint[] {
  return Array.from({ length: steps }, (_, i) => ({
    step: i * 10,
    dLoss: 0.7 - 0.2 * Math.sin(i / 7),
    gLoss: 0.8 + 0.5 * (i / steps),
    dAcc: 0.5 + 0.3 * Math.cos(i / 5),
  }))
}

describe('trainer/export/chart', () => {
  it('should encode a 640×360 RGB PNG', () => {
    const png = renderLossChart(curve(200))
    expect([...png.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10])
    const view = new DataView(png.buffer, png.byteOffset)
    expect(String.fromCharCode(...png.subarray(12, 16))).toBe('IHDR')
    expect(view.getUint32(16)).toBe(CHART_WIDTH)
    expect(view.getUint32(20)).toBe(CHART_HEIGHT)
    expect(png[24]).toBe(8) // bit depth
    expect(png[25]).toBe(2) // colour type RGB
  })

  it('should draw each series in its colour', () => {
    const r = plotLossChart(curve(200))
    expect(r.pixels.length).toBe(CHART_WIDTH * CHART_HEIGHT * 3)
    for (const color of Object.values(CHART_COLORS)) {
      // Much more than the legend swatch (16 × 10 px) alone.
      expect(countColor(r, color)).toBeGreaterThan(400)
    }
  })

  it('should be deterministic', () => {
    expect(renderLossChart(curve(50))).toEqual(renderLossChart(curve(50)))
  })

  it('should render axes and legend for no points', () => {
    const r = plotLossChart([])
    for (const color of Object.values(CHART_COLORS)) expect(countColor(r, color)).toBe(16 * 10)
    expect(renderLossChart([]).length).toBeGreaterThan(100)
  })

  it('should skip NaN and infinite values and draw a single point', () => {
    const points = curve(100).map((p, i) => ({
      ...p,
      gLoss: i % 10 === 3 ? NaN : i === 50 ? Infinity : p.gLoss,
      dAcc: NaN,
      step: i === 7 ? NaN : p.step,
    }))
    const r = plotLossChart(points)
    expect(countColor(r, CHART_COLORS.dAcc)).toBe(16 * 10) // legend only
    expect(countColor(r, CHART_COLORS.gLoss)).toBeGreaterThan(400)
    const single = plotLossChart([{ step: 5, dLoss: 0.7, gLoss: NaN, dAcc: 0.5 }])
    expect(countColor(single, CHART_COLORS.dLoss)).toBe(16 * 10 + 9)
  })

  it('should handle negative losses, constant values and long runs', () => {
    const wgan = curve(20_000).map((p) => ({ ...p, dLoss: -p.dLoss * 40, gLoss: 3 }))
    const r = plotLossChart(wgan)
    expect(countColor(r, CHART_COLORS.dLoss)).toBeGreaterThan(400)
    expect(countColor(r, CHART_COLORS.gLoss)).toBeGreaterThan(400)
    const flat = plotLossChart(curve(10).map((p) => ({ ...p, dLoss: 1, gLoss: 1, step: 3 })))
    expect(flat.width).toBe(CHART_WIDTH)
  })
})
