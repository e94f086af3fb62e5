/**
 * @module web/train/page
 * The training page's script (edge/train-page.ts is its HTML; bundled by tools/build-train.ts).
 * It starts the training worker (web/train/worker.ts), sends it the person's commands and knobs,
 * and draws what comes back: the step counter and rate, the loss curves, the sample grid, the
 * balance monitor's warnings and the log. Nothing heavy runs here, so the page stays responsive
 * while the worker trains.
 *
 * "Download model" asks the worker for the `.dgm`, saves it through a link to its bytes and
 * shows its sha256; the file is then decoded here and its digits drawn ("Try it").
 */
import KERNEL_BYTES from '../../shared/inference/kernel.wasm'
import type { LossPoint } from '../../shared/render/loss-chart'
import type { BalancePoint } from '../../shared/train/balance'
import type { Dtype } from '../../shared/model/weights'
import { appendLog, drawChart, drawGray, element, showWarnings } from './page-view'
import type { Command, Report, RunStatus, TrainAssets } from './protocol'
import type { RunRecord } from './run-record'
import {
  checkKnobs,
  checkSettings,
  DEFAULT_SETTINGS,
  KNOB_NAMES,
  type EngineChoice,
  type Knobs,
  type TrainModel,
  type TrainSettings,
} from './settings'
import { viewModel, type ModelView } from './try-model'

/** Least time between two redraws of the chart. */
const CHART_MS = 500

const config = JSON.parse(element('train-config', HTMLScriptElement).text) as {
  worker: string
  assets: TrainAssets
}
const ui = {
  model: element('model', HTMLSelectElement),
  seed: element('seed', HTMLInputElement),
  engine: element('engine', HTMLSelectElement),
  threads: element('threads', HTMLSelectElement),
  stopAt: element('stopAt', HTMLInputElement),
  start: element('start', HTMLButtonElement),
  pause: element('pause', HTMLButtonElement),
  resume: element('resume', HTMLButtonElement),
  reset: element('reset', HTMLButtonElement),
  exportButton: element('export', HTMLButtonElement),
  dtype: element('dtype', HTMLSelectElement),
  bnBatches: element('bnBatches', HTMLInputElement),
  exportStatus: element('export-status', HTMLElement),
  exportDone: element('export-done', HTMLElement),
  sha: element('sha256', HTMLElement),
  download: element('download', HTMLAnchorElement),
  fileName: element('file-name', HTMLElement),
  engineLine: element('engine-line', HTMLElement),
  progress: element('data-progress', HTMLProgressElement),
  step: element('step', HTMLElement),
  rate: element('rate', HTMLElement),
  status: element('status', HTMLElement),
  error: element('error', HTMLElement),
  chart: element('chart', HTMLImageElement),
  grid: element('grid', HTMLCanvasElement),
  gridCaption: element('grid-caption', HTMLElement),
  warnings: element('warnings', HTMLUListElement),
  balanceOk: element('balance-ok', HTMLElement),
  log: element('log', HTMLOListElement),
  trySection: element('try', HTMLElement),
  trySeed: element('try-seed', HTMLInputElement),
  tryGrid: element('try-grid', HTMLInputElement),
  tryView: element('try-view', HTMLCanvasElement),
}
const knobInputs = Object.fromEntries(
  KNOB_NAMES.map((name) => [name, element(name, HTMLInputElement)]),
) as Record<keyof Knobs, HTMLInputElement>

const worker = new Worker(config.worker, { type: 'module' })
const send = (command: Command) => worker.postMessage(command)
const kernel = WebAssembly.compile(KERNEL_BYTES).catch(() => undefined)

let status: RunStatus = 'idle'
let points: LossPoint[] = []
let chartTimer: ReturnType<typeof setTimeout> | undefined
let modelView: ModelView | undefined
let downloadUrl: string | undefined

function showSettings(s: TrainSettings): void {
  ui.model.value = s.model
  ui.seed.value = String(s.seed)
  ui.engine.value = s.engine
  ui.threads.value = String(s.threads)
  for (const name of KNOB_NAMES) knobInputs[name].value = String(s[name])
}

function readSettings(): TrainSettings {
  const knobs = Object.fromEntries(KNOB_NAMES.map((n) => [n, knobInputs[n].valueAsNumber]))
  return checkSettings({
    ...(knobs as unknown as Knobs),
    model: ui.model.value as TrainModel,
    seed: ui.seed.valueAsNumber,
    engine: ui.engine.value as EngineChoice,
    threads: Number(ui.threads.value),
  })
}

function setStatus(next: RunStatus, step: number, message?: string): void {
  status = next
  document.body.dataset.status = next
  ui.step.textContent = String(step)
  const words: Record<RunStatus, string> = {
    idle: 'Idle: choose a model and press Start.',
    loading: 'Loading…',
    running: 'Training',
    paused: `Paused at step ${step}`,
    failed: 'Stopped by an error',
  }
  ui.status.textContent = words[next]
  if (next !== 'failed') ui.error.textContent = ''
  else if (message) ui.error.textContent = message
  const active = next === 'running' || next === 'loading'
  ui.start.disabled = next !== 'idle'
  ui.pause.disabled = next !== 'running'
  ui.resume.disabled = next !== 'paused' && next !== 'failed'
  ui.reset.disabled = next === 'idle'
  ui.exportButton.disabled = next === 'idle' || next === 'loading'
  for (const fixed of [ui.model, ui.seed, ui.engine, ui.threads]) fixed.disabled = next !== 'idle'
  if (!active) {
    ui.rate.textContent = '0'
    drawChart(ui.chart, points) // the last points at once, not after the throttle
  }
}

/** Redraws the chart, at most once per CHART_MS. */
function scheduleChart(): void {
  if (chartTimer !== undefined) return
  chartTimer = setTimeout(() => {
    chartTimer = undefined
    drawChart(ui.chart, points)
  }, CHART_MS)
}

function restore(record: RunRecord, step: number): void {
  showSettings(record.settings)
  points = [...record.points]
  drawChart(ui.chart, points)
  ui.log.replaceChildren()
  for (const entry of record.log) appendLog(ui.log, entry)
  showWarnings(ui.warnings, ui.balanceOk, record.balance)
  ui.step.textContent = String(step)
}

async function exported(bytes: Uint8Array<ArrayBuffer>, sha256: string, name: string) {
  if (downloadUrl) URL.revokeObjectURL(downloadUrl)
  downloadUrl = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }))
  ui.download.href = downloadUrl
  ui.download.download = name
  ui.fileName.textContent = name
  ui.sha.textContent = sha256
  ui.exportDone.hidden = false
  ui.exportStatus.textContent = `${name}: ${(bytes.length / 1024).toFixed(0)} KiB.`
  ui.exportButton.disabled = status === 'idle'
  ui.download.click()
  try {
    modelView = viewModel(bytes, ui.tryView, await kernel)
    ui.trySection.hidden = false
    showTry()
  } catch (err) {
    ui.exportStatus.textContent = `The file does not validate: ${(err as Error).message}`
  }
}

function showTry(): void {
  const seed = ui.trySeed.valueAsNumber
  if (modelView && Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff) {
    modelView.show(seed, ui.tryGrid.checked)
  }
}

worker.onmessage = (event: MessageEvent<Report>) => {
  const r = event.data
  switch (r.type) {
    case 'restored':
      return restore(r.record, r.step)
    case 'status':
      // The worker's first report says it has looked for a saved run: the controls are live.
      document.body.dataset.ready = 'true'
      return setStatus(r.status, r.step, r.message)
    case 'data':
      ui.progress.value = r.loaded / r.total
      ui.progress.textContent = `${Math.round((100 * r.loaded) / r.total)} %`
      return
    case 'engine':
      ui.engineLine.textContent = `Engine: ${r.kind === 'webgpu' ? 'WebGPU' : 'WebAssembly'}, ${r.description}; ${r.note}.`
      ui.engineLine.dataset.kind = r.kind
      return
    case 'progress':
      ui.step.textContent = String(r.step)
      ui.rate.textContent = r.stepsPerSec.toFixed(1)
      if (r.points.length > 0) {
        points.push(...r.points)
        scheduleChart()
      }
      return
    case 'grid':
      drawGray(ui.grid, r.gray, r.width, r.height)
      ui.grid.dataset.step = String(r.step)
      ui.grid.setAttribute('aria-label', `Samples of the generator at step ${r.step}`)
      ui.gridCaption.textContent = `Step ${r.step}: the same 64 latents, inference mode.`
      return
    case 'balance':
      return showWarnings(ui.warnings, ui.balanceOk, r.record.balance as BalancePoint[])
    case 'log':
      return appendLog(ui.log, r.entry)
    case 'checkpoint':
      ui.status.title = `Saved at step ${r.step}`
      document.body.dataset.checkpoint = String(r.step)
      return
    case 'exported':
      return void exported(r.bytes as Uint8Array<ArrayBuffer>, r.sha256, r.name)
    case 'error':
      ui.error.textContent = r.message
      ui.exportButton.disabled = status === 'idle'
      return
  }
}
worker.onerror = (event) => {
  ui.error.textContent = `The training worker failed to start: ${event.message || 'see the console'}.`
}

/** Runs `fn`, showing a bad setting as the error instead of throwing. */
function guarded(fn: () => void): void {
  try {
    ui.error.textContent = ''
    fn()
  } catch (err) {
    ui.error.textContent = (err as Error).message
  }
}

ui.start.addEventListener('click', () =>
  guarded(() => {
    points = []
    drawChart(ui.chart, points)
    ui.log.replaceChildren()
    send({ type: 'stopAt', step: ui.stopAt.valueAsNumber || 0 })
    send({ type: 'start', settings: readSettings() })
  }),
)
ui.pause.addEventListener('click', () => send({ type: 'pause' }))
ui.resume.addEventListener('click', () => send({ type: 'resume' }))
ui.reset.addEventListener('click', () => {
  points = []
  drawChart(ui.chart, points)
  ui.log.replaceChildren()
  showWarnings(ui.warnings, ui.balanceOk, [])
  send({ type: 'reset' })
})
for (const name of KNOB_NAMES) {
  knobInputs[name].addEventListener('change', () =>
    guarded(() => {
      const knobs = { [name]: knobInputs[name].valueAsNumber }
      checkKnobs(knobs)
      if (status !== 'idle') send({ type: 'knobs', knobs })
    }),
  )
}
ui.stopAt.addEventListener('change', () =>
  send({ type: 'stopAt', step: ui.stopAt.valueAsNumber || 0 }),
)
ui.exportButton.addEventListener('click', () => {
  ui.exportButton.disabled = true
  const bnBatches = ui.bnBatches.valueAsNumber
  ui.exportStatus.textContent = `Exporting: BatchNorm statistics over ${bnBatches} batches…`
  send({ type: 'export', dtype: ui.dtype.value as Dtype, bnBatches })
})
ui.trySeed.addEventListener('input', showTry)
ui.tryGrid.addEventListener('change', showTry)

showSettings(DEFAULT_SETTINGS)
drawChart(ui.chart, points)
showWarnings(ui.warnings, ui.balanceOk, [])
setStatus('idle', 0)
send({ type: 'init', assets: config.assets })
