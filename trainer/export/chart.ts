/**
 * @module trainer/export/chart
 * The training loss chart (`losses.png`) drawn straight into an RGB raster: no canvas dependency,
 * because node-canvas needs a native build. Two panels share the step axis: D and G loss on top
 * (auto-scaled), D accuracy below on a fixed 0..1 axis, with a 0.5 reference line (a balanced D).
 * Labels use a 3×5 bitmap font drawn at 2×.
 */
import { encodePng } from '../../shared/codec/png'

/** One logged training step. Non-finite values leave a gap in their line. */
export interface LossPoint {
  step: number
  dLoss: number
  gLoss: number
  dAcc: number
}

/** An RGB image, row-major, 3 bytes per pixel. */
export interface Raster {
  width: number
  height: number
  pixels: Uint8Array
}

type Rgb = readonly [number, number, number]

/** Line colours, also used by the legend. */
export const CHART_COLORS = {
  dLoss: [214, 39, 40] as Rgb,
  gLoss: [31, 119, 180] as Rgb,
  dAcc: [44, 160, 44] as Rgb,
}
export const CHART_WIDTH = 640
export const CHART_HEIGHT = 360

const BACKGROUND: Rgb = [255, 255, 255]
const AXIS: Rgb = [60, 60, 60]
const GRID: Rgb = [228, 228, 228]
const REFERENCE: Rgb = [170, 170, 170]
const TEXT: Rgb = [40, 40, 40]

// Panel rectangles: x0..x1 and y0..y1 inclusive, in pixels.
const LEFT = 60
const RIGHT = CHART_WIDTH - 16
const LOSS_PANEL = { x0: LEFT, x1: RIGHT, y0: 30, y1: 222 }
const ACC_PANEL = { x0: LEFT, x1: RIGHT, y0: 242, y1: 318 }

// 3×5 glyphs, rows top to bottom, '1' = ink. Only what tick labels and the legend need.
const GLYPHS: Record<string, string> = {
  '0': '111101101101111', '1': '010110010010111', '2': '111001111100111',
  '3': '111001111001111', '4': '101101111001001', '5': '111100111001111',
  '6': '111100111101111', '7': '111001001001001', '8': '111101111101111',
  '9': '111101111001111', '.': '000000000000010', '-': '000000111000000',
  ' ': '000000000000000', A: '010101111101101', C: '111100100100111',
  D: '110101101101110', E: '111100111100111', G: '111100101101111',
  K: '101101110101101', L: '100100100100111', M: '101111111101101',
  N: '110101101101101', O: '111101101101111', P: '111101111100100',
  S: '111100111001111', T: '111010010010010',
}
const FONT_SCALE = 2
const CHAR_ADVANCE = 4 * FONT_SCALE
const TEXT_HEIGHT = 5 * FONT_SCALE

/**
 * The loss chart as an RGB PNG (640 × 360).
 * @example writeFileAtomic('runs/smoke/losses.png', renderLossChart(points))
 */
export function renderLossChart(points: readonly LossPoint[]): Uint8Array {
  const { pixels, width, height } = plotLossChart(points)
  return encodePng(pixels, width, height, 3)
}

/** The loss chart as a raw RGB raster (what `renderLossChart` encodes). */
export function plotLossChart(points: readonly LossPoint[]): Raster {
  const r: Raster = {
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    pixels: new Uint8Array(CHART_WIDTH * CHART_HEIGHT * 3),
  }
  fillRect(r, 0, 0, r.width - 1, r.height - 1, BACKGROUND)

  const steps = points.map((p) => p.step).filter(Number.isFinite)
  let [xLo, xHi] = extent(steps)
  if (xHi === xLo) [xLo, xHi] = [xLo - 1, xHi + 1]
  const losses = points.flatMap((p) => [p.dLoss, p.gLoss]).filter(Number.isFinite)
  let [yLo, yHi] = extent(losses)
  if (yHi === yLo) [yLo, yHi] = [yLo - 0.5, yHi + 0.5]
  const yStep = niceStep(yHi - yLo, 5)
  ;[yLo, yHi] = [Math.floor(yLo / yStep) * yStep, Math.ceil(yHi / yStep) * yStep]

  const xOf = (step: number): number => LEFT + ((step - xLo) / (xHi - xLo)) * (RIGHT - LEFT)
  const xStep = niceStep(xHi - xLo, 6)
  const xTicks = ticks(xLo, xHi, xStep)

  // Loss panel: grid, y ticks, lines.
  const lossY = (v: number): number => panelY(LOSS_PANEL, v, yLo, yHi)
  for (const v of ticks(yLo, yHi, yStep)) {
    const y = Math.round(lossY(v))
    hline(r, LOSS_PANEL.x0, LOSS_PANEL.x1, y, GRID)
    hline(r, LEFT - 4, LEFT - 1, y, AXIS)
    drawText(r, formatTick(v, yStep), LEFT - 7, y - TEXT_HEIGHT / 2, 'right')
  }
  // Accuracy panel: fixed 0..1 with a 0.5 reference.
  const accY = (v: number): number => panelY(ACC_PANEL, v, 0, 1)
  for (const v of [0, 0.5, 1]) {
    const y = Math.round(accY(v))
    hline(r, ACC_PANEL.x0, ACC_PANEL.x1, y, v === 0.5 ? REFERENCE : GRID)
    hline(r, LEFT - 4, LEFT - 1, y, AXIS)
    drawText(r, formatTick(v, 0.5), LEFT - 7, y - TEXT_HEIGHT / 2, 'right')
  }
  for (const panel of [LOSS_PANEL, ACC_PANEL]) {
    for (const s of xTicks) vline(r, Math.round(xOf(s)), panel.y0, panel.y1, GRID)
    vline(r, panel.x0, panel.y0, panel.y1, AXIS)
    hline(r, panel.x0, panel.x1, panel.y1, AXIS)
  }
  for (const s of xTicks) {
    const x = Math.round(xOf(s))
    vline(r, x, ACC_PANEL.y1 + 1, ACC_PANEL.y1 + 4, AXIS)
    drawText(r, formatTick(s, xStep), x, ACC_PANEL.y1 + 8, 'center')
  }
  drawText(r, 'STEP', RIGHT, ACC_PANEL.y1 + 24, 'right')
  if (points.length === 0) drawText(r, 'NO DATA', (LEFT + RIGHT) / 2, 120, 'center')

  drawSeries(r, points, (p) => p.dLoss, xOf, lossY, LOSS_PANEL, CHART_COLORS.dLoss)
  drawSeries(r, points, (p) => p.gLoss, xOf, lossY, LOSS_PANEL, CHART_COLORS.gLoss)
  drawSeries(r, points, (p) => p.dAcc, xOf, accY, ACC_PANEL, CHART_COLORS.dAcc)

  // Legend across the top.
  let lx = LEFT
  for (const [label, color] of [
    ['D LOSS', CHART_COLORS.dLoss],
    ['G LOSS', CHART_COLORS.gLoss],
    ['D ACC', CHART_COLORS.dAcc],
  ] as const) {
    fillRect(r, lx, 10, lx + 15, 19, color)
    lx = drawText(r, label, lx + 22, 10, 'left') + 24
  }
  return r
}

type Panel = typeof LOSS_PANEL

function panelY(panel: Panel, v: number, lo: number, hi: number): number {
  return panel.y1 - ((v - lo) / (hi - lo)) * (panel.y1 - panel.y0)
}

/** Polyline through consecutive finite points, 2 px thick; an isolated point becomes a dot. */
function drawSeries(
  r: Raster,
  points: readonly LossPoint[],
  value: (p: LossPoint) => number,
  xOf: (step: number) => number,
  yOf: (v: number) => number,
  panel: Panel,
  color: Rgb,
): void {
  let prev: [number, number] | null = null
  points.forEach((p, i) => {
    const v = value(p)
    if (!Number.isFinite(v) || !Number.isFinite(p.step)) {
      prev = null
      return
    }
    const cur: [number, number] = [Math.round(xOf(p.step)), Math.round(yOf(v))]
    const next = points[i + 1]
    const nextOk = next !== undefined && Number.isFinite(value(next)) && Number.isFinite(next.step)
    if (prev) line(r, prev[0], prev[1], cur[0], cur[1], panel, color)
    else if (!nextOk) fillClipped(r, cur[0] - 1, cur[1] - 1, cur[0] + 1, cur[1] + 1, panel, color)
    prev = cur
  })
}

/** Bresenham line from (x0, y0) to (x1, y1), plus the row below, clipped to the panel. */
function line(r: Raster, x0: number, y0: number, x1: number, y1: number, panel: Panel, c: Rgb) {
  const dx = Math.abs(x1 - x0)
  const dy = -Math.abs(y1 - y0)
  const sx = x0 < x1 ? 1 : -1
  const sy = y0 < y1 ? 1 : -1
  let err = dx + dy
  for (;;) {
    fillClipped(r, x0, y0, x0, y0 + 1, panel, c)
    if (x0 === x1 && y0 === y1) return
    const e2 = 2 * err
    if (e2 >= dy) (err += dy), (x0 += sx)
    if (e2 <= dx) (err += dx), (y0 += sy)
  }
}

function fillClipped(r: Raster, x0: number, y0: number, x1: number, y1: number, p: Panel, c: Rgb) {
  // Keep off the axes: x0 and y1 are the axis lines.
  const [cx0, cy0] = [Math.max(x0, p.x0 + 1), Math.max(y0, p.y0)]
  fillRect(r, cx0, cy0, Math.min(x1, p.x1), Math.min(y1, p.y1 - 1), c)
}

/** Draws `text` with its top at `y`; returns the x just after the last glyph. */
function drawText(
  r: Raster,
  text: string,
  x: number,
  y: number,
  align: 'left' | 'right' | 'center',
): number {
  const width = text.length * CHAR_ADVANCE - FONT_SCALE
  let cx = Math.round(align === 'left' ? x : align === 'right' ? x - width : x - width / 2)
  const cy = Math.round(y)
  for (const ch of text) {
    const glyph = GLYPHS[ch] ?? GLYPHS[' ']
    for (let i = 0; i < 15; i++) {
      if (glyph[i] !== '1') continue
      const gx = cx + (i % 3) * FONT_SCALE
      const gy = cy + Math.floor(i / 3) * FONT_SCALE
      fillRect(r, gx, gy, gx + FONT_SCALE - 1, gy + FONT_SCALE - 1, TEXT)
    }
    cx += CHAR_ADVANCE
  }
  return cx
}

function hline(r: Raster, x0: number, x1: number, y: number, c: Rgb): void {
  fillRect(r, x0, y, x1, y, c)
}

function vline(r: Raster, x: number, y0: number, y1: number, c: Rgb): void {
  fillRect(r, x, y0, x, y1, c)
}

/** Fills the inclusive rectangle, clipped to the raster. */
function fillRect(r: Raster, x0: number, y0: number, x1: number, y1: number, c: Rgb): void {
  for (let y = Math.max(0, y0); y <= Math.min(r.height - 1, y1); y++) {
    for (let x = Math.max(0, x0); x <= Math.min(r.width - 1, x1); x++) {
      const o = (y * r.width + x) * 3
      r.pixels[o] = c[0]
      r.pixels[o + 1] = c[1]
      r.pixels[o + 2] = c[2]
    }
  }
}

/** [min, max] of finite values without spreading them (runs log many thousands); [0, 1] if none. */
function extent(values: number[]): [number, number] {
  if (values.length === 0) return [0, 1]
  let lo = Infinity
  let hi = -Infinity
  for (const v of values) {
    if (v < lo) lo = v
    if (v > hi) hi = v
  }
  return [lo, hi]
}

/** A 1, 2 or 5 × 10^k step giving at most about `count` intervals over `range`. */
function niceStep(range: number, count: number): number {
  const raw = range / count
  const mag = 10 ** Math.floor(Math.log10(raw))
  const f = raw / mag
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag
}

/** Multiples of `step` within [lo, hi] (with a little slack for rounding). */
function ticks(lo: number, hi: number, step: number): number[] {
  const out: number[] = []
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) out.push(k * step)
  return out
}

/** Tick label with as many decimals as the step needs; whole thousands as K, millions as M. */
function formatTick(v: number, step: number): string {
  if (Math.abs(v) < step * 1e-9) return '0'
  if (step >= 1e6 && v % 1e6 === 0) return `${v / 1e6}M`
  if (step >= 1000 && v % 1000 === 0) return `${v / 1000}K`
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9))
  return v.toFixed(decimals)
}
