/**
 * @module web/train/protocol
 * The messages between the training page (web/train/page.ts, the main thread) and its training
 * worker (web/train/worker.ts): commands one way, progress the other. Training runs in the worker
 * so the page never freezes, in a background tab too; the page only draws.
 */
import type { Dtype } from '../../shared/model/weights'
import type { LossPoint } from '../../shared/render/loss-chart'
import type { DataAsset } from './data'
import type { LogEntry, RunRecord } from './run-record'
import type { Knobs, TrainSettings } from './settings'

/** The static assets the worker loads (built by tools/build-train.ts, named by the page). */
export interface TrainAssets {
  /** The fused CPU step's WebAssembly (engine/cpu/step.wasm). */
  stepWasm: string
  /** The CPU step's helper thread script (web/train/cpu-helper.ts). */
  helper: string
  images: DataAsset
  labels: DataAsset
}

/** Page → worker. */
export type Command =
  | { type: 'init'; assets: TrainAssets }
  /** A fresh run (any saved one is discarded). */
  | { type: 'start'; settings: TrainSettings }
  /** Continue the paused (or saved) run. */
  | { type: 'resume' }
  | { type: 'pause' }
  /** Knob changes, applied at the next step. */
  | { type: 'knobs'; knobs: Partial<Knobs> }
  /** Pause when the run reaches this step (0: never). */
  | { type: 'stopAt'; step: number }
  /** Forget the run and its checkpoint. */
  | { type: 'reset' }
  | { type: 'export'; dtype: Dtype; bnBatches: number }

/** Where the run stands. */
export type RunStatus = 'idle' | 'loading' | 'running' | 'paused' | 'failed'

/** Worker → page. */
export type Report =
  /** After init: the saved run, if any (its record, step and the engine it last used). */
  | { type: 'restored'; record: RunRecord; step: number }
  | { type: 'status'; status: RunStatus; step: number; message?: string }
  /** Compressed bytes of the training set loaded so far. */
  | { type: 'data'; loaded: number; total: number }
  /** The engine now training, in words, and its kind. */
  | { type: 'engine'; kind: 'webgpu' | 'wasm'; description: string; note: string }
  | { type: 'progress'; step: number; stepsPerSec: number; points: LossPoint[] }
  | { type: 'grid'; step: number; gray: Uint8Array; width: number; height: number }
  | { type: 'balance'; record: Pick<RunRecord, 'balance'> }
  | { type: 'log'; entry: LogEntry }
  | { type: 'checkpoint'; step: number }
  | { type: 'exported'; bytes: Uint8Array; sha256: string; step: number; name: string }
  /** A failure: the message says what happened and what still works. */
  | { type: 'error'; message: string }
