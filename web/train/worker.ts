/**
 * @module web/train/worker
 * The training page's dedicated Web Worker (bundled by tools/build-train.ts, started by
 * web/train/page.ts): it owns the training set, the step engine, the checkpoints and the exports,
 * so training never runs on the page's thread and keeps going in a background tab. Commands
 * arrive as messages (web/train/protocol.ts), progress leaves as messages; web/train/session.ts
 * is the loop, this file wires it to the browser: fetch, IndexedDB, WebAssembly, the engines.
 */
import KERNEL_BYTES from '../../shared/inference/kernel.wasm'
import type { KernelModule } from '../../shared/inference/kernel'
import type { EngineState } from '../../engine/step-engine'
import type { Dtype } from '../../shared/model/weights'
import { clearCheckpoint, loadCheckpoint, saveCheckpoint } from './checkpoint-store'
import { loadMnist, type MnistData } from './data'
import { openEngine, type EngineEnvironment } from './engines'
import { exportModelFile } from './export-model'
import type { Command, Report, TrainAssets } from './protocol'
import type { RunRecord } from './run-record'
import { renderSampleGrid } from './sample-grid'
import { Session } from './session'
import { BETAS, modelSpec, type TrainSettings } from './settings'

interface WorkerScope {
  onmessage: ((event: MessageEvent<Command>) => void) | null
  postMessage(message: Report, transfer?: Transferable[]): void
  crossOriginIsolated: boolean
}
const scope = self as unknown as WorkerScope

const post = (report: Report, transfer: Transferable[] = []) => scope.postMessage(report, transfer)

/** The inference kernel for grids and export checks; JS (same bits) where SIMD is missing. */
const kernel: Promise<KernelModule | undefined> = WebAssembly.compile(KERNEL_BYTES).catch(
  () => undefined,
)

let data: Promise<MnistData> | undefined

function loadData(assets: TrainAssets): Promise<MnistData> {
  data ??= loadMnist(assets, (loaded, total) => post({ type: 'data', loaded, total }))
  data.catch(() => (data = undefined)) // a failed download may be retried by the next start
  return data
}

/** The manifest's `training` block for an export of `state`, as `npm run export` writes it. */
function trainingFacts(record: RunRecord, state: EngineState, dtype: Dtype, bnBatches: number) {
  const s = record.settings
  return {
    steps: state.step,
    imagesSeen: record.imagesSeen,
    wallTimeSec: Math.round(record.trainMs / 100) / 10,
    backend: `browser: ${record.engines.join(' → ')}`,
    createdAt: new Date().toISOString(),
    config: {
      model: s.model,
      seed: s.seed,
      batch: s.batch,
      dSteps: s.dSteps,
      lrD: s.lrD,
      lrG: s.lrG,
      ...BETAS,
      labelSmoothing: s.labelSmoothing,
      loss: 'bce',
      dDropout: 0,
      ema: 0,
      dtype,
      bnBatches,
    },
    ...(record.knobs.length > 0 ? { knobChanges: record.knobs, initial: record.initial } : {}),
  }
}

async function createSession(assets: TrainAssets): Promise<Session> {
  const compiled = await kernel
  const env: EngineEnvironment = {
    assets,
    cores: navigator.hardwareConcurrency || 1,
    isolated: scope.crossOriginIsolated,
    gpu: 'gpu' in navigator ? navigator.gpu : undefined,
    data: () => loadData(assets),
  }
  return new Session({
    post,
    openEngine: (settings: TrainSettings, state?: EngineState) => openEngine(env, settings, state),
    save: saveCheckpoint,
    load: loadCheckpoint,
    clear: clearCheckpoint,
    grid(settings, state) {
      const grid = renderSampleGrid(modelSpec(settings.model), state, compiled)
      const { gray, width, height } = grid
      return {
        diversity: grid.diversity,
        report: { type: 'grid', step: state.step, gray, width, height },
      }
    },
    exportModel(record, state, dtype, bnBatches) {
      return exportModelFile({
        model: modelSpec(record.settings.model),
        state,
        dtype,
        bnBatches,
        seed: record.initial.seed,
        training: trainingFacts(record, state, dtype, bnBatches),
        kernel: compiled,
      })
    },
    now: () => performance.now(),
  })
}

let session: Promise<Session> | undefined

/** Runs one command; any error becomes an `error` report, never an unhandled rejection. */
async function handle(command: Command): Promise<void> {
  if (command.type === 'init') {
    session = createSession(command.assets)
    return (await session).init()
  }
  if (!session) throw new Error('Expected an init message first.')
  const s = await session
  switch (command.type) {
    case 'start':
      return s.start(command.settings)
    case 'resume':
      return s.resume()
    case 'pause':
      return s.pause()
    case 'knobs':
      return s.knobs(command.knobs)
    case 'stopAt':
      return s.setStopAt(command.step)
    case 'reset':
      return s.reset()
    case 'export':
      return s.export(command.dtype, command.bnBatches)
  }
}

scope.onmessage = (event) => {
  handle(event.data).catch((err: unknown) => {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) })
  })
}
