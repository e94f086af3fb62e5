/**
 * @module trainer/checkpoint
 * Self-describing training checkpoints: `DIR/checkpoint/` holds `state.json` (step, config, model
 * spec, optimizer step counts, a tensor table and the payload's sha256) and `tensors.bin` (every
 * variable of both networks and both optimizers, f32 little-endian).
 *
 * Written atomically: everything goes into a temp folder beside it, which then replaces the old
 * checkpoint by rename, so an interrupted write leaves the previous checkpoint intact. No random
 * generator state is saved because there is none to save: every draw is seeded from
 * `(seed, step)` (trainer/seed.ts), so restoring the step restores the stream.
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ModelSpec } from '../shared/spec'
import type { TrainConfig } from './config'
import { makeDirs } from './cli'
import type { Gan } from './gan'
import { tf } from './tf'

export const CHECKPOINT_DIR = 'checkpoint'
const STATE_FILE = 'state.json'
const TENSORS_FILE = 'tensors.bin'
const FORMAT = 'digit-gan-checkpoint'
const AVERAGE_PREFIX = 'gAvg.'

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
 * Every variable of the GAN by checkpoint name: `g.*`, `d.*`, `optG.m.g.*`, `optD.v.d.*`, and
 * `gAvg.g.*` for the weight average (trainer/ema.ts) when there is one.
 */
function namedVariables(gan: Gan): Map<string, tf.Variable> {
  const out = new Map<string, tf.Variable>()
  for (const net of [gan.g, gan.d]) for (const [name, v] of net.vars) out.set(name, v)
  for (const [name, v] of gan.gAverage?.vars ?? []) out.set(`${AVERAGE_PREFIX}${name}`, v)
  for (const [key, opt, net] of [
    ['optG', gan.optG, gan.g],
    ['optD', gan.optD, gan.d],
  ] as const) {
    const names = [...net.vars].filter(([, v]) => v.trainable).map(([n]) => n)
    names.forEach((name, i) => {
      out.set(`${key}.m.${name}`, opt.m[i])
      out.set(`${key}.v.${name}`, opt.v[i])
    })
  }
  return out
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
  const vars = namedVariables(gan)
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
 */
export function restoreGan(gan: Gan, checkpoint: Checkpoint): void {
  for (const [name, v] of namedVariables(gan)) {
    let data = checkpoint.tensors.get(name)
    if (!data && name.startsWith(AVERAGE_PREFIX)) {
      data = checkpoint.tensors.get(name.slice(AVERAGE_PREFIX.length))
    }
    if (!data || data.length !== v.size) {
      throw new CheckpointError(
        `Expected checkpoint tensor ${name} with ${v.size} values, but got ${data ? data.length : 'none'}.`,
      )
    }
    tf.tidy(() => v.assign(tf.tensor(data, v.shape, 'float32')))
  }
  gan.optG.t = checkpoint.optimizerSteps.g
  gan.optD.t = checkpoint.optimizerSteps.d
}

/** True when `runDir` holds a checkpoint. */
export function hasCheckpoint(runDir: string): boolean {
  return existsSync(join(runDir, CHECKPOINT_DIR, STATE_FILE))
}
