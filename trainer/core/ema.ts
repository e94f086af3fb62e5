/**
 * @module trainer/core/ema
 * An exponential moving average of a network's trainable weights,
 * `avg ← decay·avg + (1 − decay)·w` after every update, started from the weights it is created
 * with. GAN weights oscillate around a good solution; the average sits nearer its centre, so
 * exported samples are steadier and usually score better (Yazıcı et al., "The Unusual
 * Effectiveness of Averaging in GAN Training", ICLR 2019). Training itself never reads it.
 */
import type { Network } from './models'
import { tf } from './tf'

/** The averaged copies of `net.trainable`, in the same order. */
export interface WeightAverage {
  decay: number
  /** Keyed like `net.vars` (e.g. `g.dense0.kernel`). */
  vars: Map<string, tf.Variable>
}

/** Starts an average at the network's current weights. */
export function createAverage(net: Network, decay: number): WeightAverage {
  const vars = new Map<string, tf.Variable>()
  for (const [name, v] of net.vars) {
    if (v.trainable) vars.set(name, tf.variable(v.clone(), false))
  }
  return { decay, vars }
}

/** One averaging step after an optimizer update. */
export function updateAverage(avg: WeightAverage, net: Network): void {
  tf.tidy(() => {
    for (const [name, a] of avg.vars) {
      a.assign(tf.add(tf.mul(a, avg.decay), tf.mul(net.vars.get(name)!, 1 - avg.decay)))
    }
  })
}

/** Overwrites the network's trainable weights with the average (for export). */
export function loadAverage(avg: WeightAverage, net: Network): void {
  for (const [name, a] of avg.vars) net.vars.get(name)!.assign(a)
}

/** Frees the averaged copies. */
export function disposeAverage(avg: WeightAverage): void {
  for (const a of avg.vars.values()) a.dispose()
}
