/**
 * @module web/train/session
 * The browser training run, as the training worker drives it: start, pause, resume, reset, knob
 * changes, checkpoints and export around one step engine (engine/step-engine.ts), reporting
 * progress to the page (web/train/protocol.ts). What the engine is and where checkpoints go are
 * handed in (web/train/worker.ts wires them), so the loop has one shape for every engine.
 *
 * The loop runs the engine in chunks of about {@link CHUNK_MS}, each ending on a chart-point
 * boundary (web/train/run-record.ts) and at the stop step, and yields to the worker's message queue
 * between chunks through a MessageChannel (not a timer: background tabs throttle timers), so a
 * pause or a knob arrives within a chunk. Every engine call goes through one queue: an export
 * never reads the state in the middle of a step.
 *
 * Knobs: the engines fix batch size, D:G ratio and label smoothing in their plans and take the
 * learning rates at creation, so a change rebuilds the engine from its exported state before the
 * next step (bit-exact: the state is the whole run), and is logged with its step.
 * Checkpoints: at the start, every {@link CHECKPOINT_MS} while running, on pause and on a knob
 * change. A failure (a lost GPU, a failed thread) stops the run and says so; resume continues from
 * the last checkpoint.
 */
import type { EngineState, StepEngine } from '../../engine/step-engine'
import { DTYPES, type Dtype } from '../../shared/model/weights'
import type { Checkpoint } from './checkpoint-store'
import type { Report, RunStatus } from './protocol'
import { logLine, newRecord, nextBoundary, recordLosses, type RunRecord } from './run-record'
import { changedKnobs, checkKnobs, checkSettings, type Knobs, type TrainSettings } from './settings'

/** Target wall time of one `engine.run` call. */
export const CHUNK_MS = 150
/** Wall time between sample grids. */
export const GRID_MS = 3_000
/** Wall time between checkpoints while running. */
export const CHECKPOINT_MS = 20_000
/** How long a failed engine call waits for its device's loss to explain it. */
const LOST_WAIT_MS = 500
/** Most BatchNorm batches an export takes (the page's input has the same bound). */
export const MAX_BN_BATCHES = 500

/** An engine ready to train, and what it is. */
export interface EngineHandle {
  engine: StepEngine
  kind: 'webgpu' | 'wasm'
  /** Why it runs as it does (threads, adapter), for the page to say. */
  note: string
  /** Settles (with a reason) if the engine's device is lost. */
  lost?: Promise<string>
}

/** What the session needs from its host (the worker). */
export interface SessionHost {
  post(report: Report, transfer?: Transferable[]): void
  /** Builds the engine for `settings`, from `state` or fresh weights. */
  openEngine(settings: TrainSettings, state?: EngineState): Promise<EngineHandle>
  save(checkpoint: Checkpoint): Promise<void>
  load(): Promise<Checkpoint | undefined>
  clear(): Promise<void>
  /** The sample grid of a state, posted as a `grid` report with its diversity. */
  grid(settings: TrainSettings, state: EngineState): { diversity: number; report: Report }
  /** The `.dgm` of a state. */
  exportModel(
    record: RunRecord,
    state: EngineState,
    dtype: Dtype,
    bnBatches: number,
  ): { bytes: Uint8Array; sha256: string }
  now(): number
}

/** One browser training run at a time. */
export class Session {
  private record: RunRecord | undefined
  private handle: EngineHandle | undefined
  private status: RunStatus = 'idle'
  private stopAt = 0
  private pendingKnobs: Partial<Knobs> = {}
  private queue: Promise<unknown> = Promise.resolve()
  private looping = false
  /** A pause asked for: the loop stops, saves, then reports `paused`. */
  private pausing = false
  private rate: { t: number; step: number }[] = []
  private msPerStep = 10
  private lastGrid = 0
  private lastCheckpoint = 0
  /** The step of the last checkpoint and the last step reached (kept when an engine fails). */
  private checkpointStep = 0
  private lastStep = 0
  private readonly tick = new MessageChannel()

  constructor(private readonly host: SessionHost) {}

  /** Reports the saved run, if any, as paused at its step. */
  async init(): Promise<void> {
    const saved = await this.host.load()
    if (!saved) return this.setStatus('idle', 0)
    this.record = saved.record
    this.checkpointStep = this.lastStep = saved.state.step
    this.host.post({ type: 'restored', record: saved.record, step: saved.state.step })
    this.setStatus('paused', saved.state.step)
  }

  /** A fresh run with `settings` (a saved run is discarded). */
  async start(settings: TrainSettings): Promise<void> {
    checkSettings(settings)
    await this.stop()
    await this.host.clear()
    this.record = newRecord(settings)
    this.pendingKnobs = {}
    this.checkpointStep = this.lastStep = 0
    await this.open(undefined)
    if (!this.handle) return
    this.host.post({
      type: 'log',
      entry: logLine(this.record, 0, `started: ${describeSettings(settings)}`),
    })
    await this.checkpoint()
    this.loop()
  }

  /** Continues the paused run, or the saved one after a reload or a failure. */
  async resume(): Promise<void> {
    if (this.status === 'running' || this.status === 'loading') return
    if (!this.handle) {
      const saved = await this.host.load()
      if (!saved) return this.report('There is no saved run to resume; start a new one.')
      this.record = saved.record
      this.checkpointStep = this.lastStep = saved.state.step
      await this.open(saved.state)
      if (!this.handle) return
      const text = `resumed from the checkpoint at step ${saved.state.step}`
      this.host.post({ type: 'log', entry: logLine(this.record, saved.state.step, text) })
    }
    this.loop()
  }

  /** Pauses after the current chunk; `paused` is reported once its checkpoint is saved. */
  pause(): void {
    if (this.status === 'running') this.pausing = true
  }

  /** Queues knob changes for the next step. */
  knobs(knobs: Partial<Knobs>): void {
    checkKnobs(knobs)
    Object.assign(this.pendingKnobs, knobs)
    if (this.status !== 'running' && this.handle) void this.serial(() => this.applyKnobs())
  }

  setStopAt(step: number): void {
    this.stopAt = Number.isInteger(step) && step > 0 ? step : 0
  }

  /** Forgets the run and its checkpoint. */
  async reset(): Promise<void> {
    await this.stop()
    this.record = undefined
    await this.host.clear()
    this.setStatus('idle', 0)
  }

  /** Exports the current (or saved) state as a `.dgm` and posts it. */
  async export(dtype: Dtype, bnBatches: number): Promise<void> {
    if (!DTYPES.includes(dtype)) {
      return this.report(`Expected a dtype of ${DTYPES.join(', ')}, but got ${String(dtype)}.`)
    }
    if (!Number.isInteger(bnBatches) || bnBatches < 1 || bnBatches > MAX_BN_BATCHES) {
      return this.report(
        `Expected BatchNorm batches to be an integer in [1, ${MAX_BN_BATCHES}], but got ${bnBatches}.`,
      )
    }
    const state = this.handle
      ? await this.serial(() => this.handle!.engine.exportState())
      : (await this.host.load())?.state
    if (!state || !this.record) return this.report('There is no run to export yet; start one.')
    const { bytes, sha256 } = this.host.exportModel(this.record, state, dtype, bnBatches)
    const name = `digit-gan-${this.record.settings.model}-step-${state.step}.dgm`
    this.host.post({ type: 'exported', bytes, sha256, step: state.step, name }, [bytes.buffer])
  }

  /** Stops the run and frees the engine and the loop's channel (the session is done). */
  async close(): Promise<void> {
    await this.stop()
    this.tick.port1.close()
    this.tick.port2.close()
  }

  private get step(): number {
    return this.handle?.engine.step ?? this.lastStep
  }

  private setStatus(status: RunStatus, step: number, message?: string): void {
    this.status = status
    this.host.post({ type: 'status', status, step, ...(message ? { message } : {}) })
  }

  /** Runs `fn` after every engine call queued before it. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn)
    this.queue = next.catch(() => undefined)
    return next
  }

  private async open(state: EngineState | undefined): Promise<void> {
    const record = this.record!
    this.setStatus('loading', state?.step ?? 0)
    try {
      const handle = await this.host.openEngine(record.settings, state)
      this.handle = handle
      const { description } = handle.engine
      if (record.engines[record.engines.length - 1] !== description) {
        record.engines.push(description)
      }
      this.host.post({ type: 'engine', kind: handle.kind, description, note: handle.note })
      void handle.lost?.then((reason) => {
        if (this.handle === handle) void this.failAndDrop(reason)
      })
    } catch (err) {
      this.fail(messageOf(err))
    }
  }

  private loop(): void {
    if (this.looping || !this.handle) return
    this.looping = true
    this.setStatus('running', this.step)
    this.rate = [{ t: this.host.now(), step: this.step }]
    void this.run().finally(() => (this.looping = false))
  }

  private async run(): Promise<void> {
    while (this.status === 'running' && !this.pausing && this.handle) {
      if (this.stopAt > 0 && this.step >= this.stopAt) {
        const text = `paused at step ${this.step} (stop at ${this.stopAt})`
        this.host.post({ type: 'log', entry: logLine(this.record!, this.step, text) })
        this.pausing = true
        break
      }
      const handle = this.handle
      try {
        await this.serial(() => this.chunk())
      } catch (err) {
        // Unless the engine's loss already stopped the run (and said why).
        if (this.handle === handle) await this.failAndDrop(messageOf(err))
        return
      }
      await new Promise<void>((resolve) => {
        this.tick.port1.onmessage = () => resolve()
        this.tick.port2.postMessage(0)
      })
    }
    if (this.pausing) {
      this.pausing = false
      // The grid and the checkpoint of the step it paused at, before saying so: a reload right
      // after the pause resumes from it.
      await this.serial(() => this.applyKnobs())
      if (!this.handle) return
      await this.serial(() => this.sendGrid())
      await this.checkpoint()
      this.setStatus('paused', this.step)
    }
  }

  /** Knob changes, then one `engine.run` and its losses, grid and checkpoint when due. */
  private async chunk(): Promise<void> {
    await this.applyKnobs()
    if (!this.handle) return // the rebuild failed and said so
    const { engine } = this.handle
    const record = this.record!
    const step = engine.step
    let n = Math.max(1, Math.round(CHUNK_MS / this.msPerStep))
    n = Math.min(n, nextBoundary(step) - step)
    if (this.stopAt > step) n = Math.min(n, this.stopAt - step)
    const t0 = this.host.now()
    await engine.run(n)
    const totals = await engine.readLosses()
    const t1 = this.host.now()
    record.trainMs += t1 - t0
    this.msPerStep = 0.7 * this.msPerStep + (0.3 * (t1 - t0)) / n
    this.lastStep = engine.step
    const points = recordLosses(record, totals, engine.step)
    this.rate.push({ t: t1, step: engine.step })
    while (this.rate.length > 2 && t1 - this.rate[1].t > 2_000) this.rate.shift()
    const first = this.rate[0]
    const stepsPerSec = t1 > first.t ? ((engine.step - first.step) * 1000) / (t1 - first.t) : 0
    this.host.post({ type: 'progress', step: engine.step, stepsPerSec, points })
    if (points.length > 0 && engine.step % 50 === 0) {
      this.host.post({ type: 'balance', record: { balance: record.balance } })
    }
    if (t1 - this.lastGrid >= GRID_MS) await this.sendGrid()
    if (t1 - this.lastCheckpoint >= CHECKPOINT_MS) await this.checkpoint(true)
  }

  private async sendGrid(): Promise<void> {
    this.lastGrid = this.host.now()
    const state = await this.handle!.engine.exportState()
    const { diversity, report } = this.host.grid(this.record!.settings, state)
    this.record!.diversity = diversity
    this.host.post(report)
  }

  /** Rebuilds the engine with the queued knobs (if any changed), logging the change. */
  private async applyKnobs(): Promise<void> {
    const record = this.record!
    const changes = changedKnobs(record.settings, this.pendingKnobs)
    this.pendingKnobs = {}
    if (Object.keys(changes).length === 0 || !this.handle) return
    const state = await this.handle.engine.exportState()
    this.handle.engine.dispose()
    this.handle = undefined
    const before = record.settings
    record.settings = { ...before, ...changes }
    record.knobs.push({ step: state.step, changes })
    const text = Object.entries(changes)
      .map(([k, v]) => `${k} from ${before[k as keyof Knobs]} to ${v}`)
      .join(', ')
    this.host.post({ type: 'log', entry: logLine(record, state.step, `knobs: ${text}`) })
    const status = this.status
    await this.open(state)
    if (this.handle && status !== 'loading') this.setStatus(status, state.step)
    await this.saveState(state)
  }

  private async checkpoint(inLoop = false): Promise<void> {
    if (!this.handle || !this.record) return
    const read = () => this.handle!.engine.exportState()
    const state = inLoop ? await read() : await this.serial(read)
    await this.saveState(state)
  }

  /** Saves a checkpoint; a store that refuses (quota, private mode) is reported, not fatal. */
  private async saveState(state: EngineState): Promise<void> {
    this.lastCheckpoint = this.host.now()
    try {
      await this.host.save({ record: this.record!, state })
    } catch (err) {
      const why = messageOf(err)
      return this.report(
        `Could not save a checkpoint at step ${state.step} (${why}); training goes on.`,
      )
    }
    this.checkpointStep = state.step
    this.host.post({ type: 'checkpoint', step: state.step })
  }

  private async stop(): Promise<void> {
    this.pausing = false
    if (this.status === 'running') this.status = 'paused' // ends the loop without a report
    await this.serial(async () => {
      this.handle?.engine.dispose()
      this.handle = undefined
    })
  }

  /** Stops on an engine failure: the in-memory run is lost, the checkpoint is not. */
  private async failAndDrop(error: string): Promise<void> {
    const handle = this.handle
    this.handle = undefined
    // A lost device fails the engine's calls too, often first: its own reason says more.
    const lost = handle?.lost
      ? await Promise.race([
          handle.lost,
          new Promise<undefined>((r) => setTimeout(r, LOST_WAIT_MS)),
        ])
      : undefined
    const message = lost === undefined || lost === error ? error : `${lost} (${error})`
    handle?.engine.dispose()
    this.fail(
      `${message} Training stopped at step ${this.lastStep}; Resume continues from the last ` +
        `checkpoint (step ${this.checkpointStep}).`,
    )
  }

  /** A command that cannot be done now: said, the run unchanged. */
  private report(message: string): void {
    this.host.post({ type: 'error', message })
  }

  private fail(message: string): void {
    this.setStatus('failed', this.step, message)
    this.host.post({ type: 'error', message })
  }
}

function describeSettings(s: TrainSettings): string {
  return (
    `${s.model}, seed ${s.seed}, batch ${s.batch}, D:G ${s.dSteps}:1, lrD ${s.lrD}, ` +
    `lrG ${s.lrG}, label smoothing ${s.labelSmoothing}`
  )
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
