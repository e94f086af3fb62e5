/**
 * @module web/train/run-record
 * Everything a browser training run remembers besides the engine's tensors: its settings, the
 * loss points the chart draws, the balance monitor's history, the log of knob changes, and its
 * totals (images seen, training time). Checkpointed with the state (web/train/checkpoint-store.ts),
 * so a reloaded page shows the same curves and exports the same manifest facts.
 *
 * Points: one per `POINT_EVERY` steps (the loop ends its chunks on those boundaries, so each point
 * averages exactly that many steps); the balance history gets one per `BALANCE_EVERY` steps, the
 * interval of `npm run train`'s log, so shared/train/balance.ts's windows mean what they mean
 * there. A long run's chart keeps every other point once it holds `MAX_POINTS`.
 */
import type { LossTotals } from '../../engine/step-engine'
import type { LossPoint } from '../../shared/render/loss-chart'
import type { BalancePoint } from '../../shared/train/balance'
import type { Knobs, TrainSettings } from './settings'

/** Steps per chart point. */
export const POINT_EVERY = 10
/** Steps per balance-monitor point (trainer/config.ts `logEvery`). */
export const BALANCE_EVERY = 50
/** Chart points kept before thinning. */
export const MAX_POINTS = 2000

/** A line of the run's log. */
export interface LogEntry {
  step: number
  text: string
}

/** Knobs changed at a step. */
export interface KnobChange {
  step: number
  changes: Partial<Knobs>
}

/** The run's history and totals. */
export interface RunRecord {
  /** The settings in force now (knobs included). */
  settings: TrainSettings
  /** The settings the run started with. */
  initial: TrainSettings
  points: LossPoint[]
  balance: BalancePoint[]
  log: LogEntry[]
  knobs: KnobChange[]
  imagesSeen: number
  /** Milliseconds spent in training steps. */
  trainMs: number
  /** Every engine the run trained on (one line each), in order. */
  engines: string[]
  /** Loss sums not yet in a point / a balance point. */
  pending: { point: LossTotals; balance: LossTotals }
  /** A diversity measured since the last balance point, for the next one. */
  diversity?: number
}

const ZERO: LossTotals = { dLoss: 0, dAcc: 0, gLoss: 0, steps: 0 }

/** A fresh record for a run with `settings`. */
export function newRecord(settings: TrainSettings): RunRecord {
  return {
    settings: { ...settings },
    initial: { ...settings },
    points: [],
    balance: [],
    log: [],
    knobs: [],
    imagesSeen: 0,
    trainMs: 0,
    engines: [],
    pending: { point: { ...ZERO }, balance: { ...ZERO } },
  }
}

/** The step at which the chunk starting at `step` must end to close a point. */
export function nextBoundary(step: number): number {
  return (Math.floor(step / POINT_EVERY) + 1) * POINT_EVERY
}

function add(a: LossTotals, b: LossTotals): LossTotals {
  return {
    dLoss: a.dLoss + b.dLoss,
    dAcc: a.dAcc + b.dAcc,
    gLoss: a.gLoss + b.gLoss,
    steps: a.steps + b.steps,
  }
}

function mean(t: LossTotals, step: number): LossPoint {
  return { step, dLoss: t.dLoss / t.steps, dAcc: t.dAcc / t.steps, gLoss: t.gLoss / t.steps }
}

/**
 * Adds the losses of the steps that ended at `step`; returns the chart points closed by them.
 * @example recordLosses(record, await engine.readLosses(), engine.step)
 */
export function recordLosses(record: RunRecord, totals: LossTotals, step: number): LossPoint[] {
  const { settings, pending } = record
  record.imagesSeen += totals.steps * settings.batch * settings.dSteps
  pending.point = add(pending.point, totals)
  pending.balance = add(pending.balance, totals)
  const closed: LossPoint[] = []
  if (step % POINT_EVERY === 0 && pending.point.steps > 0) {
    const point = mean(pending.point, step)
    closed.push(point)
    record.points.push(point)
    if (record.points.length > MAX_POINTS) {
      record.points = record.points.filter((_, i) => i % 2 === 0 || i === record.points.length - 1)
    }
    pending.point = { ...ZERO }
  }
  if (step % BALANCE_EVERY === 0 && pending.balance.steps > 0) {
    const point: BalancePoint = mean(pending.balance, step)
    if (record.diversity !== undefined) point.diversity = record.diversity
    record.balance.push(point)
    record.diversity = undefined
    pending.balance = { ...ZERO }
  }
  return closed
}

/** Logs `text` at `step`; returns the entry. */
export function logLine(record: RunRecord, step: number, text: string): LogEntry {
  const entry = { step, text }
  record.log.push(entry)
  return entry
}
