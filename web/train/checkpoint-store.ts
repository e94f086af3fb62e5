/**
 * @module web/train/checkpoint-store
 * The browser run's checkpoint in IndexedDB: the engine's whole state (named Float32Arrays, as
 * engine/step-engine.ts hands it over) and the run record, under one key, so a reloaded page
 * resumes at the saved step with its curves. One `put` in one transaction: a reader sees the old
 * checkpoint or the new one, never half of one. Readable from the training worker (IndexedDB
 * exists in workers), which is where checkpoints are taken.
 */
import type { EngineState } from '../../engine/step-engine'
import type { RunRecord } from './run-record'

const DB_NAME = 'digit-gan-train'
const STORE = 'checkpoints'
const KEY = 'run'
/** Bumped when the stored shape changes; an older checkpoint is then ignored, not misread. */
const VERSION = 1

/** A saved run. */
export interface Checkpoint {
  record: RunRecord
  state: EngineState
}

interface Stored {
  version: number
  record: RunRecord
  step: number
  optimizerSteps: { g: number; d: number }
  tensors: [string, Float32Array][]
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error ?? new Error('Expected IndexedDB to answer.'))
  })
}

function open(): Promise<IDBDatabase> {
  const req = indexedDB.open(DB_NAME, 1)
  req.onupgradeneeded = () => req.result.createObjectStore(STORE)
  return request(req)
}

async function withStore<T>(
  mode: IDBTransactionMode,
  use: (store: IDBObjectStore) => IDBRequest<T>,
): Promise<T> {
  const db = await open()
  try {
    const tx = db.transaction(STORE, mode)
    // Committed only when the transaction completes, not when its request succeeds.
    const done = new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve()
      tx.onerror = tx.onabort = () => reject(tx.error ?? new Error('IndexedDB aborted.'))
    })
    const [result] = await Promise.all([request(use(tx.objectStore(STORE))), done])
    return result
  } finally {
    db.close()
  }
}

/** Saves `checkpoint`, replacing the previous one. */
export async function saveCheckpoint(checkpoint: Checkpoint): Promise<void> {
  const { record, state } = checkpoint
  const stored: Stored = {
    version: VERSION,
    record,
    step: state.step,
    optimizerSteps: state.optimizerSteps,
    tensors: [...state.tensors],
  }
  await withStore('readwrite', (store) => store.put(stored, KEY))
}

/** The saved run, or undefined when there is none (or one of an older shape). */
export async function loadCheckpoint(): Promise<Checkpoint | undefined> {
  const stored = (await withStore('readonly', (store) => store.get(KEY))) as Stored | undefined
  if (!stored || stored.version !== VERSION) return undefined
  return {
    record: stored.record,
    state: {
      step: stored.step,
      optimizerSteps: stored.optimizerSteps,
      tensors: new Map(stored.tensors),
    },
  }
}

/** Forgets the saved run. */
export async function clearCheckpoint(): Promise<void> {
  await withStore('readwrite', (store) => store.delete(KEY))
}
