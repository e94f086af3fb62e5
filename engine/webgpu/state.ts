/**
 * @module engine/webgpu/state
 * Which of the fused step's buffers hold run state, and under which checkpoint names
 * (engine/step-engine.ts's NamedTensors): G's and D's packed weights, G's BatchNorm moving
 * statistics, both Adam moments, and the weight average when there is one. The names are the
 * tfjs GAN's (trainer/core/gan-state.ts), so a checkpoint written from either engine resumes on
 * the other.
 */
import type { NamedTensors } from '../step-engine'
import type { TensorPlace } from './layout'
import type { StepPlan } from './plan'

/** One state buffer and the named tensors packed in it. */
export interface StateBuffer {
  buffer: string
  tensors: { place: TensorPlace; name: string }[]
}

/** The state buffers of `plan`, in a fixed order (the order of export and import). */
export function stateBuffers(plan: StepPlan, average: boolean): StateBuffer[] {
  const trainable = (places: TensorPlace[]) => places.filter((t) => t.buffer === 'params')
  const named = (places: TensorPlace[], prefix = '') =>
    places.map((place) => ({ place, name: `${prefix}${place.name}` }))
  const gParams = trainable(plan.g.tensors)
  const dParams = trainable(plan.d.tensors)
  const out = [
    { buffer: 'gp', tensors: named(gParams) },
    { buffer: 'gs', tensors: named(plan.g.tensors.filter((t) => t.buffer === 'state')) },
    { buffer: 'gm', tensors: named(gParams, 'optG.m.') },
    { buffer: 'gv', tensors: named(gParams, 'optG.v.') },
    { buffer: 'dp', tensors: named(dParams) },
    { buffer: 'dm', tensors: named(dParams, 'optD.m.') },
    { buffer: 'dv', tensors: named(dParams, 'optD.v.') },
  ]
  if (average) out.push({ buffer: 'gavg', tensors: named(gParams, 'gAvg.') })
  return out
}

/**
 * The contents of one state buffer (`words` floats) from named tensors.
 * @throws Error naming the first tensor that is missing or of another size.
 */
export function packState(
  s: StateBuffer,
  words: number,
  tensors: NamedTensors,
): Float32Array<ArrayBuffer> {
  const data = new Float32Array(words)
  for (const { place, name } of s.tensors) {
    const values = tensors.get(name)
    if (!values || values.length !== place.size) {
      throw new Error(
        `Expected state tensor ${name} with ${place.size} values, but got ${values ? values.length : 'none'}.`,
      )
    }
    data.set(values, place.offset)
  }
  return data
}

/** Adds the named tensors of one state buffer, read back as `words`, to `into`. */
export function unpackState(s: StateBuffer, words: Float32Array, into: NamedTensors): void {
  for (const { place, name } of s.tensors) {
    into.set(name, words.slice(place.offset, place.offset + place.size))
  }
}
