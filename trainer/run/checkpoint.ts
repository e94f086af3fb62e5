/**
 * @module trainer/run/checkpoint
 * Self-describing training checkpoints: `DIR/checkpoint/` holds `state.json` (step, config, model
 * spec, optimizer step counts, a tensor table and the payload's sha256) and `tensors.bin` (every
 * variable of both networks and both optimizers, f32 little-endian).
 *
 * Written atomically: everything goes into a temp folder beside it, which then replaces the old
 * checkpoint by rename, so an interrupted write leaves the previous checkpoint intact. No random
 * generator state is saved because there is none to save: every draw is seeded from
 * `(seed, step)` (trainer/core/seed.ts), so restoring the step restores the stream.
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ModelSpec } from '../../shared/model/spec'
import type { TrainConfig } from '../config'
import { makeDirs } from '../cli'
import type { Gan } from '../core/gan'
import { ganVariables, GanStateError, writeGanState } from '../core/gan-state'

export const CHECKPOINT_DIR = 'checkpoint'
const STATE_FILE = 'state.json'
const TENSORS_FILE = 'tensors.bin'
const FORMAT = 'digit-gan-checkpoint'

/** A missing, corrupt or mismatched checkpoint; the message names the path. */
export class CheckpointError extends Error {
  override name = 'CheckpointError'
}

/** Run bookkeeping stored with the tensors. */
export interface CheckpointMeta {
  /** Generator steps completed. */
  step: number
  config: TrainConfig
  backend: string
  wallTimeSec: number
  imagesSeen: number
}

interface TensorRecord {
  name: string
  shape: number[]
  offset: number
  length: number
}

interface StateFile extends CheckpointMeta {
  format: typeof FORMAT
  formatVersion: 1
  model: ModelSpec
  optimizerSteps: { g: number; d: number }
  tensors: TensorRecord[]
  sha256: string
  createdAt: string
}

/** A checkpoint read back from disk. */
export interface Checkpoint {
  meta: CheckpointMeta
  model: ModelSpec
  optimizerSteps: { g: number; d: number }
  tensors: Map<string, Float32Array>
}

/**
 * Writes `runDir/checkpoint/` atomically.
 * @example saveCheckpoint('runs/smoke', gan, { step: 200, config, backend: 'wasm', wallTimeSec: 31, imagesSeen: 12800 })
 */
export async function saveCheckpoint(
  runDir: string,
  gan: Gan,
  meta: CheckpointMeta,
): Promise<void> {
  const vars = ganVariables(gan)
  const records: TensorRecord[] = []
  let offset = 0
  const chunks: Float32Array[] = []
  for (const [name, v] of vars) {
    const data = (await v.data()) as Float32Array
    records.push({ name, shape: v.shape, offset, length: data.length })
    chunks.push(data)
    offset += data.byteLength
  }
  const payload = new Uint8Array(offset)
  for (let i = 0; i < chunks.length; i++) {
    payload.set(
      new Uint8Array(chunks[i].buffer, chunks[i].byteOffset, chunks[i].byteLength),
      records[i].offset,
    )
  }
  const state: StateFile = {
    format: FORMAT,
    formatVersion: 1,
    ...meta,
    model: gan.model,
    optimizerSteps: { g: gan.optG.t, d: gan.optD.t },
    tensors: records,
    sha256: createHash('sha256').update(payload).digest('hex'),
    createdAt: new Date().toISOString(),
  }
  const final = join(runDir, CHECKPOINT_DIR)
  const tmp = join(runDir, `.${CHECKPOINT_DIR}.${process.pid}.tmp`)
  const old = join(runDir, `.${CHECKPOINT_DIR}.${process.pid}.old`)
  rmSync(tmp, { recursive: true, force: true })
  makeDirs(tmp) // not mkdirSync's recursive mode: it can spin forever (trainer/cli.ts)
  try {
    // The payload is little-endian f32 because every platform tfjs runs on is little-endian.
    writeFileSync(join(tmp, TENSORS_FILE), payload)
    writeFileSync(join(tmp, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`)
    if (existsSync(final)) renameSync(final, old)
    renameSync(tmp, final)
    rmSync(old, { recursive: true, force: true })
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true })
    if (!existsSync(final) && existsSync(old)) renameSync(old, final)
    throw err
  }
}

/**
 * Reads and verifies `runDir/checkpoint/`.
 * @throws CheckpointError naming the file when it is missing, unreadable or corrupt.
 */
export function loadCheckpoint(runDir: string): Checkpoint {
  const dir = join(runDir, CHECKPOINT_DIR)
  const statePath = join(dir, STATE_FILE)
  const tensorsPath = join(dir, TENSORS_FILE)
  if (!existsSync(statePath)) {
    throw new CheckpointError(`Expected a checkpoint at ${statePath}, but found none.`)
  }
  let state: StateFile
  try {
    state = JSON.parse(readFileSync(statePath, 'utf8')) as StateFile
  } catch (err) {
    throw new CheckpointError(
      `Expected valid JSON in ${statePath}, but got: ${(err as Error).message}`,
      { cause: err },
    )
  }
  if (state?.format !== FORMAT || state.formatVersion !== 1) {
    throw new CheckpointError(
      `Expected ${FORMAT} version 1 in ${statePath}, but got ${state?.format} ${state?.formatVersion}.`,
    )
  }
  let payload: Uint8Array
  try {
    payload = readFileSync(tensorsPath)
  } catch (err) {
    throw new CheckpointError(
      `Expected a readable ${tensorsPath}, but got ${(err as NodeJS.ErrnoException).code}.`,
      {
        cause: err,
      },
    )
  }
  const sha = createHash('sha256').update(payload).digest('hex')
  if (sha !== state.sha256) {
    throw new CheckpointError(
      `Expected ${tensorsPath} to have sha256 ${state.sha256}, but got ${sha}.`,
    )
  }
  const tensors = new Map<string, Float32Array>()
  const aligned = new Uint8Array(payload) // copy: Float32Array views need 4-byte alignment
  for (const t of state.tensors) {
    if (t.offset + t.length * 4 > aligned.byteLength) {
      throw new CheckpointError(
        `Expected ${t.name} inside ${tensorsPath}, but it runs past the end.`,
      )
    }
    tensors.set(t.name, new Float32Array(aligned.buffer, t.offset, t.length))
  }
  const { step, config, backend, wallTimeSec, imagesSeen } = state
  return {
    meta: { step, config, backend, wallTimeSec, imagesSeen },
    model: state.model,
    optimizerSteps: state.optimizerSteps,
    tensors,
  }
}

/**
 * Loads a checkpoint's tensors and optimizer steps into a GAN built from the same config. A weight
 * average the checkpoint lacks (`--ema` switched on at resume) starts at the restored weights.
 * @throws CheckpointError when a tensor is missing or of another size.
 */
export function restoreGan(gan: Gan, checkpoint: Checkpoint): void {
  try {
    writeGanState(gan, checkpoint)
  } catch (err) {
    if (err instanceof GanStateError) throw new CheckpointError(err.message, { cause: err })
    throw err
  }
}

/** True when `runDir` holds a checkpoint. */
export function hasCheckpoint(runDir: string): boolean {
  return existsSync(join(runDir, CHECKPOINT_DIR, STATE_FILE))
}
