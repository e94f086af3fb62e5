/**
 * @module trainer/run/progress
 * Training progress: a redrawn one-line bar on a TTY (step, steps/s, ETA, D loss, D accuracy,
 * G loss), plain log lines otherwise. Log lines and warnings print above the bar in both modes.
 */

/** Where output goes; `isTTY` and `columns` decide the bar's presence and width. */
export interface ProgressStream {
  write(text: string): unknown
  isTTY?: boolean
  columns?: number
}

/** The numbers the bar shows. */
export interface ProgressStats {
  dLoss: number
  dAcc: number
  gLoss: number
}

/** Formats seconds as h:mm:ss or m:ss. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--'
  const s = Math.round(seconds)
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const ss = String(s % 60).padStart(2, '0')
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`
}

/** The bar's text for a terminal `width` columns wide. */
export function renderBar(
  step: number,
  total: number,
  stepsPerSec: number,
  stats: ProgressStats,
  width = 80,
): string {
  const eta = stepsPerSec > 0 ? (total - step) / stepsPerSec : NaN
  const tail =
    ` ${step}/${total} ${stepsPerSec.toFixed(1)} it/s ETA ${formatDuration(eta)} ` +
    `dLoss ${stats.dLoss.toFixed(4)} dAcc ${stats.dAcc.toFixed(2)} gLoss ${stats.gLoss.toFixed(4)}`
  const barWidth = Math.max(5, Math.min(30, width - tail.length - 3))
  const filled = Math.round((barWidth * step) / Math.max(1, total))
  return `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]${tail}`.slice(
    0,
    Math.max(10, width - 1),
  )
}

/**
 * Progress for steps `startStep + 1 … total`.
 * @example const p = new Progress(200, 0, 'auto'); p.update(1, stats); p.log('step 1: …'); p.done()
 */
export class Progress {
  private readonly bar: boolean
  private readonly started = performance.now()
  private lastDraw = 0
  private drawn = false

  constructor(
    private readonly total: number,
    private readonly startStep: number,
    mode: 'auto' | 'bar' | 'lines',
    private readonly stream: ProgressStream = process.stdout,
  ) {
    this.bar = mode === 'bar' || (mode === 'auto' && stream.isTTY === true)
  }

  /** Steps per second since the start (or resume). */
  rate(step: number): number {
    const sec = (performance.now() - this.started) / 1000
    return sec > 0 ? (step - this.startStep) / sec : 0
  }

  /** Redraws the bar (at most ~10 times a second, always at the last step). */
  update(step: number, stats: ProgressStats): void {
    if (!this.bar) return
    const now = performance.now()
    if (now - this.lastDraw < 100 && step < this.total) return
    this.lastDraw = now
    this.stream.write(
      `\r\x1b[2K${renderBar(step, this.total, this.rate(step), stats, this.stream.columns || 80)}`,
    )
    this.drawn = true
  }

  /** Prints a line above the bar. */
  log(line: string): void {
    this.stream.write(this.drawn ? `\r\x1b[2K${line}\n` : `${line}\n`)
    this.drawn = false
  }

  /** Ends the bar line. */
  done(): void {
    if (this.drawn) this.stream.write('\n')
    this.drawn = false
  }
}
