/**
 * @module test/web/train/session
 * The browser training loop (web/train/session.ts) in Node, on the real fused CPU engine with an
 * in-memory checkpoint store standing in for IndexedDB: it pauses at the stop step only once that
 * step is saved; a new session on the same store (a reloaded page) resumes from it to the very
 * bits of an uninterrupted run; a knob turned while paused rebuilds the engine from its state,
 * is logged with its step, and gives the bits of doing that by hand; an export is the current
 * state's `.dgm`; bad requests and a store that refuses a checkpoint are reported, not thrown into
 * the loop.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createCpuEngine } from '../../../engine/cpu/engine'
import type { EngineState } from '../../../engine/step-engine'
import { sha256Hex } from '../../../shared/codec/sha256'
import { decodeModelFile } from '../../../shared/model/model-file'
import { loadCpuStepModule } from '../../../trainer/engines/cpu-threads'
import { loadKernel } from '../../../trainer/kernel'
import type { Checkpoint } from '../../../web/train/checkpoint-store'
import { exportModelFile } from '../../../web/train/export-model'
import type { Report } from '../../../web/train/protocol'
import { renderSampleGrid } from '../../../web/train/sample-grid'
import { Session, type SessionHost } from '../../../web/train/session'
import {
  DEFAULT_SETTINGS,
  engineOptions,
  modelSpec,
  type TrainSettings,
} from '../../../web/train/settings'
import { syntheticMnist } from '../../trainer/fixtures'

const COUNT = 256
const data = { ...syntheticMnist(COUNT), count: COUNT }
const SETTINGS: TrainSettings = { ...DEFAULT_SETTINGS, batch: 16, seed: 3, engine: 'wasm' }

/** The session's host: the real engine and renderers, checkpoints in memory (cloned like IDB). */
function memoryHost() {
  const reports: Report[] = []
  const store: { saved?: Checkpoint } = {}
  const host: SessionHost = {
    post: (report) => reports.push(report),
    openEngine: async (settings, state) => ({
      engine: await createCpuEngine({
        model: modelSpec(settings.model),
        options: engineOptions(settings),
        module: loadCpuStepModule(),
        data,
        state,
      }),
      kind: 'wasm',
      note: 'one thread',
    }),
    save: async (checkpoint) => void (store.saved = structuredClone(checkpoint)),
    load: async () => store.saved && structuredClone(store.saved),
    clear: async () => void (store.saved = undefined),
    grid: (settings, state) => {
      const grid = renderSampleGrid(modelSpec(settings.model), state, loadKernel())
      const { gray, width, height } = grid
      return {
        diversity: grid.diversity,
        report: { type: 'grid', step: state.step, gray, width, height },
      }
    },
    exportModel: (record, state, dtype, bnBatches) =>
      exportModelFile({
        model: modelSpec(record.settings.model),
        state,
        dtype,
        bnBatches,
        seed: record.initial.seed,
        training: { steps: state.step },
        kernel: loadKernel(),
      }),
    now: () => performance.now(),
  }
  return { host, reports, store }
}

/** Waits for a report that `match` accepts. */
async function until(reports: Report[], match: (r: Report) => boolean): Promise<Report> {
  for (let i = 0; i < 3000; i++) {
    const found = reports.find(match)
    if (found) return found
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error('Expected a report that never came.')
}

const paused = (step: number) => (r: Report) =>
  r.type === 'status' && r.status === 'paused' && r.step === step

/** The state after `steps` steps of an uninterrupted engine with `settings`, from `state`. */
async function direct(settings: TrainSettings, steps: number, state?: EngineState) {
  const engine = await createCpuEngine({
    model: modelSpec(settings.model),
    options: engineOptions(settings),
    module: loadCpuStepModule(),
    data,
    state,
  })
  await engine.run(steps)
  const out = await engine.exportState()
  engine.dispose()
  return out
}

function expectSameState(a: EngineState, b: EngineState): void {
  expect(a.step).toBe(b.step)
  expect(a.optimizerSteps).toEqual(b.optimizerSteps)
  expect([...a.tensors.keys()]).toEqual([...b.tensors.keys()])
  for (const [name, x] of a.tensors) expect(x, name).toEqual(b.tensors.get(name))
}

const sessions: Session[] = []
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.close()
})

function session(host: SessionHost): Session {
  const s = new Session(host)
  sessions.push(s)
  return s
}

describe('web/train/session', () => {
  it('should pause at the stop step once it is saved, and a reloaded run resume exactly', async () => {
    const { host, reports, store } = memoryHost()
    const first = session(host)
    await first.init()
    first.setStopAt(20)
    await first.start(SETTINGS)
    const pause = await until(reports, paused(20))
    const saved = reports.findIndex((r) => r.type === 'checkpoint' && r.step === 20)
    expect(saved).toBeGreaterThan(-1)
    expect(saved).toBeLessThan(reports.indexOf(pause))
    expect(reports.some((r) => r.type === 'grid' && r.step === 20)).toBe(true)
    await first.close()

    reports.length = 0
    const second = session(host)
    await second.init()
    expect(reports[0]).toMatchObject({ type: 'restored', step: 20 })
    second.setStopAt(40)
    await second.resume()
    await until(reports, paused(40))
    expectSameState(store.saved!.state, await direct(SETTINGS, 40))
    expect(store.saved!.record.points.map((p) => p.step)).toEqual([10, 20, 30, 40])
  })

  it('should rebuild the engine for knobs turned while paused, and log them', async () => {
    const { host, reports, store } = memoryHost()
    const s = session(host)
    await s.init()
    s.setStopAt(20)
    await s.start(SETTINGS)
    await until(reports, paused(20))
    s.knobs({ lrD: 1e-4, batch: 8, labelSmoothing: 0.1 })
    const log = await until(reports, (r) => r.type === 'log' && r.entry.text.startsWith('knobs'))
    expect(log).toMatchObject({
      entry: {
        step: 20,
        text: 'knobs: batch from 16 to 8, lrD from 0.0002 to 0.0001, labelSmoothing from 0 to 0.1',
      },
    })
    s.setStopAt(30)
    await s.resume()
    await until(reports, paused(30))
    const turned = { ...SETTINGS, lrD: 1e-4, batch: 8, labelSmoothing: 0.1 }
    expectSameState(store.saved!.state, await direct(turned, 10, await direct(SETTINGS, 20)))
    const { record } = store.saved!
    expect(record.knobs).toEqual([
      { step: 20, changes: { batch: 8, lrD: 1e-4, labelSmoothing: 0.1 } },
    ])
    expect(record.imagesSeen).toBe(20 * 16 + 10 * 8)
    expect(record.settings.batch).toBe(8)
    expect(record.initial.batch).toBe(16)
  })

  it('should export the current state, and report bad requests instead of throwing', async () => {
    const { host, reports } = memoryHost()
    const s = session(host)
    await s.init()
    await s.export('f32', 1)
    expect(reports.pop()).toMatchObject({ type: 'error', message: expect.stringMatching(/no run/) })
    s.setStopAt(10)
    await s.start(SETTINGS)
    await until(reports, paused(10))
    await s.export('f32', 0)
    expect(reports.pop()).toMatchObject({
      type: 'error',
      message: expect.stringMatching(/BatchNorm/),
    })
    await s.export('f32', 1)
    const out = reports.pop()!
    if (out.type !== 'exported') throw new Error(`Expected an export, but got ${out.type}.`)
    expect(out.name).toBe('digit-gan-mlp-step-10.dgm')
    expect(sha256Hex(out.bytes)).toBe(out.sha256)
    expect(decodeModelFile(out.bytes).manifest.training).toMatchObject({ steps: 10 })
    expect(() => s.knobs({ batch: 0 })).toThrow(/batch \(--batch\)/)
  })

  it('should keep training when the store refuses a checkpoint, and say so', async () => {
    const { host, reports } = memoryHost()
    const s = session({ ...host, save: () => Promise.reject(new Error('QuotaExceededError')) })
    await s.init()
    s.setStopAt(10)
    await s.start(SETTINGS)
    await until(reports, paused(10))
    const errors = reports
      .filter((r) => r.type === 'error')
      .map((r) => r.type === 'error' && r.message)
    expect(errors[0]).toBe(
      'Could not save a checkpoint at step 0 (QuotaExceededError); training goes on.',
    )
    expect(reports.some((r) => r.type === 'checkpoint')).toBe(false)
  })
})
