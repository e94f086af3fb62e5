/**
 * @module engine/cpu/state
 * The fused CPU step's state in and out of the module's memory, by checkpoint name (the names of
 * trainer/run/checkpoint.ts and engine/step-engine.ts): `g.*`, `d.*` (weights and moving statistics),
 * `optG.m.g.*`, `optG.v.g.*`, `optD.m.d.*`, `optD.v.d.*` (Adam moments of the trainable tensors),
 * `gAvg.g.*` (G's weight average, with `--ema`). A checkpoint of either engine loads into the other.
 *
 * Fresh weights: PyTorch's `nn.Linear` default as trainer/core/models.ts — kernel and bias
 * ~ U(−1/√fanIn, 1/√fanIn), BatchNorm γ = 1, β = 0, moving mean 0, moving variance 1 — drawn from
 * shared/latent/rng.ts: tensor i of a network from `Xoshiro128(mixSeed(netSeed, init, i))` with
 * `netSeed = mixSeed(seed, 0x67)` for G and `mixSeed(seed, 0x64)` for D (trainer/core/gan.ts's seeds),
 * value `lo + (hi − lo)·u`. The tfjs path draws from tfjs's generator instead, so a fresh run of each
 * engine starts from different (equally distributed) weights; importState gives both the same.
 */
import { Xoshiro128 } from '../../shared/latent/rng'
import { mixSeed, SEED_PURPOSE } from '../../shared/latent/seed'
import type { NamedTensors } from '../step-engine'
import type { NetworkPlace, StepLayout } from './layout'
import type { TensorPlace } from './network'

/** Where one named tensor lives: its byte address, size, and rows (`cols` values, `ld` apart). */
interface Slot {
  name: string
  address: number
  size: number
  rows: number
  cols: number
  ld: number
}

const AVERAGE = 'gAvg.'

/** Every named tensor of the state and its address. */
function slots(layout: StepLayout): Slot[] {
  const out: Slot[] = []
  const net = (place: NetworkPlace, optimizer: string) => {
    for (const t of place.net.tensors) {
      const base = t.trainable ? place.params : place.state
      out.push({ ...t, address: base + 4 * t.offset })
    }
    for (const t of place.net.tensors.filter((x) => x.trainable)) {
      const at = (base: number) => base + 4 * t.offset
      out.push({ ...t, name: `${optimizer}.m.${t.name}`, address: at(place.m) })
      out.push({ ...t, name: `${optimizer}.v.${t.name}`, address: at(place.v) })
      if (place.avg) out.push({ ...t, name: `${AVERAGE}${t.name}`, address: at(place.avg) })
    }
  }
  net(layout.g, 'optG')
  net(layout.d, 'optD')
  return out
}

/** A copy of every tensor of the state, by checkpoint name. */
export function readState(layout: StepLayout, heap: ArrayBufferLike): NamedTensors {
  const out: NamedTensors = new Map()
  for (const s of slots(layout)) {
    const data = new Float32Array(s.size)
    for (let r = 0; r < s.rows; r++) {
      data.set(new Float32Array(heap, s.address + 4 * r * s.ld, s.cols), r * s.cols)
    }
    out.set(s.name, data)
  }
  return out
}

/**
 * Writes `tensors` into the state. A weight average the tensors lack (`--ema` switched on at
 * resume) starts at the weights, as trainer/run/checkpoint.ts's restoreGan does.
 * @throws RangeError naming the first tensor that is missing or has the wrong size.
 */
export function writeState(layout: StepLayout, heap: ArrayBufferLike, tensors: NamedTensors): void {
  const all = slots(layout)
  for (const s of all) {
    let data = tensors.get(s.name)
    if (!data && s.name.startsWith(AVERAGE)) data = tensors.get(s.name.slice(AVERAGE.length))
    if (!data || data.length !== s.size) {
      throw new RangeError(
        `Expected tensor ${s.name} with ${s.size} values, but got ${data ? data.length : 'none'}.`,
      )
    }
  }
  for (const s of all) {
    const data = tensors.get(s.name) ?? tensors.get(s.name.slice(AVERAGE.length))!
    for (let r = 0; r < s.rows; r++) {
      const row = data.subarray(r * s.cols, (r + 1) * s.cols)
      new Float32Array(heap, s.address + 4 * r * s.ld, s.cols).set(row)
    }
  }
}

/** Fresh weights, zero Adam moments, the weight average at the weights (see the module doc). */
export function initialState(layout: StepLayout, seed: number): NamedTensors {
  const out: NamedTensors = new Map()
  const net = (place: NetworkPlace, optimizer: string, netSeed: number) => {
    const fanIn = new Map<string, number>()
    for (const b of place.net.blocks) fanIn.set(b.name, b.inputs)
    place.net.tensors.forEach((t: TensorPlace, i) => {
      const layer = t.name.slice(0, t.name.lastIndexOf('.'))
      const param = t.name.slice(t.name.lastIndexOf('.') + 1)
      const values = new Float32Array(t.size)
      if (param === 'kernel' || param === 'bias') {
        const bound = 1 / Math.sqrt(fanIn.get(layer)!)
        const rng = new Xoshiro128(mixSeed(netSeed, SEED_PURPOSE.init, i))
        for (let j = 0; j < t.size; j++) values[j] = -bound + 2 * bound * rng.nextFloat()
      } else if (param === 'gamma' || param === 'movingVariance') {
        values.fill(1)
      }
      out.set(t.name, values)
      if (!t.trainable) return
      out.set(`${optimizer}.m.${t.name}`, new Float32Array(t.size))
      out.set(`${optimizer}.v.${t.name}`, new Float32Array(t.size))
      if (place.avg) out.set(`${AVERAGE}${t.name}`, values.slice())
    })
  }
  net(layout.g, 'optG', mixSeed(seed, 0x67))
  net(layout.d, 'optD', mixSeed(seed, 0x64))
  return out
}
