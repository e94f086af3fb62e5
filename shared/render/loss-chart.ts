/**
 * @module shared/render/loss-chart
 * The training loss chart as an SVG string: the trainer's `losses.svg`, and the same picture a
 * browser page can draw live (it is a pure function, no DOM). Two panels share the step axis:
 * D and G loss on top (auto-scaled to nice ticks), D accuracy below on a fixed 0..1 axis with a
 * dashed 0.5 reference line (a balanced D). A non-finite value (or step) leaves a gap in its line.
 *
 * SVG rather than a raster: text comes from the viewer's font, it scales, and it is short.
 * Deterministic: coordinates are printed with one decimal and tick labels with fixed decimals, so
 * the same points give the same bytes. Elements carry classes (`grid`, `reference`, `axis`,
 * `series`) so a page can restyle them with CSS.
 */

/** One logged training step. */
export interface LossPoint {
  step: number
  dLoss: number
  gLoss: number
  dAcc: number
}

/** The plotted series, top panel first; colours also used by the legend. */
export const LOSS_SERIES = [
  { key: 'dLoss', label: 'D loss', color: '#d62728' },
  { key: 'gLoss', label: 'G loss', color: '#1f77b4' },
  { key: 'dAcc', label: 'D accuracy', color: '#2ca02c' },
] as const

export const CHART_WIDTH = 640
export const CHART_HEIGHT = 360

const LEFT = 48
const RIGHT = CHART_WIDTH - 16
const LOSS_PANEL = { top: 28, bottom: 212 }
const ACC_PANEL = { top: 232, bottom: 316 }
type Panel = typeof LOSS_PANEL

/**
 * The chart for `points` (in step order) as a standalone SVG document.
 * @example writeFileAtomic('runs/smoke/losses.svg', renderLossChart(points))
 */
export function renderLossChart(
  points: readonly LossPoint[],
  { title = 'GAN training losses' }: { title?: string } = {},
): string {
  let [xLo, xHi] = extent(points.map((p) => p.step))
  if (xHi === xLo) [xLo, xHi] = [xLo - 1, xHi + 1]
  let [yLo, yHi] = extent(points.flatMap((p) => [p.dLoss, p.gLoss]))
  if (yHi === yLo) [yLo, yHi] = [yLo - 0.5, yHi + 0.5]
  const yStep = niceStep(yHi - yLo, 5)
  ;[yLo, yHi] = [Math.floor(yLo / yStep) * yStep, Math.ceil(yHi / yStep) * yStep]
  const xStep = Math.max(1, niceStep(xHi - xLo, 6)) // steps are whole numbers

  const x = (step: number): number => LEFT + ((step - xLo) / (xHi - xLo)) * (RIGHT - LEFT)
  const panelY = (panel: Panel, lo: number, hi: number) => (v: number) =>
    panel.bottom - ((v - lo) / (hi - lo)) * (panel.bottom - panel.top)
  const lossY = panelY(LOSS_PANEL, yLo, yHi)
  // D accuracy is a fraction; clamping only guards against a malformed record leaving the panel.
  const accY = (v: number): number => panelY(ACC_PANEL, 0, 1)(Math.min(1, Math.max(0, v)))

  const grid: string[] = []
  const labels: string[] = []
  for (const v of ticks(yLo, yHi, yStep)) {
    grid.push(hline(lossY(v)))
    labels.push(text(LEFT - 6, lossY(v) + 4, formatTick(v, yStep), 'end'))
  }
  for (const v of [0, 1]) grid.push(hline(accY(v)))
  for (const v of [0, 0.5, 1]) labels.push(text(LEFT - 6, accY(v) + 4, String(v), 'end'))
  for (const s of ticks(xLo, xHi, xStep)) {
    for (const p of [LOSS_PANEL, ACC_PANEL]) grid.push(vline(x(s), p.top, p.bottom))
    labels.push(text(x(s), ACC_PANEL.bottom + 14, formatTick(s, xStep), 'middle'))
  }
  labels.push(text(RIGHT, ACC_PANEL.bottom + 32, 'step', 'end'))
  if (!points.some((p) => Number.isFinite(p.step))) {
    const mid = (LOSS_PANEL.top + LOSS_PANEL.bottom) / 2
    labels.push(text((LEFT + RIGHT) / 2, mid, 'no data', 'middle'))
  }

  const series = LOSS_SERIES.map(({ key, color }) => {
    const d = seriesPath(points, key, x, key === 'dAcc' ? accY : lossY)
    return `<path class="series" data-series="${key}" stroke="${color}" d="${d}"/>`
  })
  let legendX = LEFT
  const legend = LOSS_SERIES.map(({ label, color }) => {
    const item =
      `<line x1="${num(legendX)}" y1="14" x2="${num(legendX + 16)}" y2="14" stroke="${color}"/>` +
      text(legendX + 22, 18, label, 'start')
    legendX += 40 + label.length * 7 // about the width of a label at 11 px, plus the swatch
    return item
  })
  const axes = [LOSS_PANEL, ACC_PANEL].map(
    (p) => `<path d="M${num(LEFT)} ${num(p.top)}V${num(p.bottom)}H${num(RIGHT)}"/>`,
  )

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${CHART_WIDTH}" height="${CHART_HEIGHT}" ` +
      `viewBox="0 0 ${CHART_WIDTH} ${CHART_HEIGHT}" font-family="sans-serif" font-size="11">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${CHART_WIDTH}" height="${CHART_HEIGHT}" fill="#fff"/>`,
    `<g class="grid" stroke="#e4e4e4">${grid.join('')}</g>`,
    `<line class="reference" data-value="0.5" x1="${num(LEFT)}" y1="${num(accY(0.5))}" ` +
      `x2="${num(RIGHT)}" y2="${num(accY(0.5))}" stroke="#999" stroke-dasharray="4 3"/>`,
    `<g class="axis" fill="none" stroke="#3c3c3c">${axes.join('')}</g>`,
    `<g class="labels" fill="#282828">${labels.join('')}</g>`,
    `<g fill="none" stroke-width="1.5" stroke-linejoin="round" stroke-linecap="round">`,
    ...series,
    `</g>`,
    `<g class="legend" fill="#282828" stroke-width="3">${legend.join('')}</g>`,
    `</svg>`,
    '',
  ].join('\n')
}

/**
 * Path data through the finite values: one `M…L…` subpath per run between gaps. A run of one
 * point becomes a small circle (two arcs), since a zero-length segment is too small to see.
 */
function seriesPath(
  points: readonly LossPoint[],
  key: keyof LossPoint,
  x: (step: number) => number,
  y: (v: number) => number,
): string {
  const runs: string[][] = [[]]
  for (const p of points) {
    const v = p[key]
    const finite = Number.isFinite(v) && Number.isFinite(p.step)
    if (finite) runs[runs.length - 1].push(`${num(x(p.step))} ${num(y(v))}`)
    else if (runs[runs.length - 1].length > 0) runs.push([])
  }
  return runs
    .filter((run) => run.length > 0)
    .map((run) => (run.length > 1 ? `M${run.join('L')}` : `M${run[0]}${DOT}`))
    .join('')
}

/** A circle of radius 2 around the current point, as relative path data. */
const DOT = 'm-2 0a2 2 0 1 0 4 0a2 2 0 1 0-4 0'

function hline(y: number): string {
  return `<line x1="${num(LEFT)}" y1="${num(y)}" x2="${num(RIGHT)}" y2="${num(y)}"/>`
}

function vline(x: number, y1: number, y2: number): string {
  return `<line x1="${num(x)}" y1="${num(y1)}" x2="${num(x)}" y2="${num(y2)}"/>`
}

function text(x: number, y: number, s: string, anchor: 'start' | 'middle' | 'end'): string {
  const a = anchor === 'start' ? '' : ` text-anchor="${anchor}"`
  return `<text x="${num(x)}" y="${num(y)}"${a}>${escapeXml(s)}</text>`
}

/** A coordinate with one fixed decimal (never `-0.0`). */
function num(v: number): string {
  const s = v.toFixed(1)
  return s === '-0.0' ? '0.0' : s
}

/** Text or attribute value safe inside XML. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** [min, max] of the finite values, without spreading (runs log many thousands); [0, 1] if none. */
function extent(values: readonly number[]): [number, number] {
  let lo = Infinity
  let hi = -Infinity
  for (const v of values) {
    if (!Number.isFinite(v)) continue
    if (v < lo) lo = v
    if (v > hi) hi = v
  }
  return lo <= hi ? [lo, hi] : [0, 1]
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

/** Tick label with as many decimals as the step needs; steps of thousands as k, millions as M. */
function formatTick(v: number, step: number): string {
  if (Math.abs(v) < step * 1e-9) return '0'
  if (step >= 1e6) return `${+(v / 1e6).toFixed(3)}M`
  if (step >= 1e3) return `${+(v / 1e3).toFixed(3)}k`
  return v.toFixed(Math.max(0, -Math.floor(Math.log10(step) + 1e-9)))
}
