/**
 * @module trainer/core/gan-state
 * A tfjs GAN's whole state as the step-engine seam's named tensors (engine/step-engine.ts): what
 * checkpoints store, what every engine imports at the start and exports on demand.
 *
 * Names: every variable of G and D under its own name (`g.*`, `d.*`: weights and BatchNorm moving
 * statistics), the Adam moments of the trainable ones as `optG.m.g.*`, `optG.v.g.*`,
 * `optD.m.d.*`, `optD.v.d.*`, and the weight average as `gAvg.g.*` when there is one. The order
 * is the GAN's variable order, so a checkpoint written from it has the same bytes every time.
 */
import type { EngineState, NamedTensors } from '../../engine/step-engine'
import type { Gan } from './gan'
import { tf } from './tf'

const AVERAGE_PREFIX = 'gAvg.'

/** State that does not fit the GAN it is loaded into; the message names the tensor. */
export class GanStateError extends Error {
  override name = 'GanStateError'
}

/** Every variable of the GAN by its state name, in the GAN's order. */
export function ganVariables(gan: Gan): Map<string, tf.Variable> {
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

/** A copy of the GAN's whole state after `step` GAN steps. */
export async function readGanState(gan: Gan, step: number): Promise<EngineState> {
  const tensors: NamedTensors = new Map()
  for (const [name, v] of ganVariables(gan)) tensors.set(name, (await v.data()) as Float32Array)
  return { step, optimizerSteps: { g: gan.optG.t, d: gan.optD.t }, tensors }
}

/**
 * Loads `state` into a GAN of the same architecture. A weight average the state lacks (`--ema`
 * switched on at resume) starts at the weights.
 * @throws GanStateError for a missing tensor or one of another size.
 */
export function writeGanState(gan: Gan, state: Omit<EngineState, 'step'>): void {
  for (const [name, v] of ganVariables(gan)) {
    let data = state.tensors.get(name)
    if (!data && name.startsWith(AVERAGE_PREFIX)) {
      data = state.tensors.get(name.slice(AVERAGE_PREFIX.length))
    }
    if (!data || data.length !== v.size) {
      throw new GanStateError(
        `Expected checkpoint tensor ${name} with ${v.size} values, but got ${data ? data.length : 'none'}.`,
      )
    }
    tf.tidy(() => v.assign(tf.tensor(data, v.shape, 'float32')))
  }
  gan.optG.t = state.optimizerSteps.g
  gan.optD.t = state.optimizerSteps.d
}
