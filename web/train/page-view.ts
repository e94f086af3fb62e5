/**
 * @module web/train/page-view
 * What the training page draws, given what the worker reports: the loss chart (the trainer's SVG,
 * shared/render/loss-chart.ts, as an image), grey images on canvases (the sample grid, the
 * downloaded model's digits), the balance monitor's warnings (shared/train/balance.ts, the same
 * checks `npm run train` prints) and the run's log. DOM only; no state of its own.
 */
import { renderLossChart, type LossPoint } from '../../shared/render/loss-chart'
import { checkBalance, type BalancePoint } from '../../shared/train/balance'
import type { LogEntry } from './run-record'

/** The element `#id`, checked to be a `type`. */
export function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id)
  if (!(found instanceof type)) throw new Error(`Expected #${id} to be a ${type.name}.`)
  return found
}

/** Draws 8-bit grey pixels on `canvas`, resizing it to the image. */
export function drawGray(
  canvas: HTMLCanvasElement,
  gray: Uint8Array,
  width: number,
  height: number,
) {
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width
    canvas.height = height
  }
  const image = new ImageData(width, height)
  for (let i = 0; i < gray.length; i++) {
    image.data[4 * i] = image.data[4 * i + 1] = image.data[4 * i + 2] = gray[i]
    image.data[4 * i + 3] = 255
  }
  canvas.getContext('2d')!.putImageData(image, 0, 0)
}

/** Shows the loss chart of `points` in `img` (an SVG data URL: the CSP allows data: images). */
export function drawChart(img: HTMLImageElement, points: readonly LossPoint[]): void {
  const svg = renderLossChart(points, { title: 'Training in this browser' })
  img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`
  img.dataset.points = String(points.length)
}

/** Lists the balance monitor's current warnings (BCE thresholds, as the trainer's defaults). */
export function showWarnings(list: HTMLUListElement, ok: HTMLElement, history: BalancePoint[]) {
  const warnings = checkBalance(history, { loss: 'bce' })
  list.replaceChildren(
    ...warnings.map((w) => {
      const li = document.createElement('li')
      li.dataset.code = w.code
      li.textContent = w.message
      return li
    }),
  )
  ok.hidden = warnings.length > 0
  ok.textContent =
    history.length === 0
      ? 'Checks start after the first 50 steps.'
      : 'No warnings: D and G are balanced.'
}

/** Appends a log line: `step N: text`. */
export function appendLog(list: HTMLOListElement, entry: LogEntry): void {
  const li = document.createElement('li')
  li.textContent = `step ${entry.step}: ${entry.text}`
  list.append(li)
  list.scrollTop = list.scrollHeight
}
