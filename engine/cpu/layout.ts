/**
 * @module engine/cpu/layout
 * Where every number of the fused CPU step lives in the module's memory: both networks' packed
 * parameters, gradients, Adam moments, state and weight average, every activation and gradient
 * buffer, the inputs the host writes before a step, the Adam scalars and the losses. Allocated once,
 * at byte addresses on 64-byte lines, after the synchronisation words.
 *
 * Inputs of one GAN step (written by the host, engine/cpu/engine.ts): for each D update k, `dx[k]`
 * `[2B, dWidth]` (rows 0..B−1 the real images and their one-hot labels; rows B..2B−1 the fakes G
 * writes, with their one-hot labels) and `gIn[k]` `[B, gWidth]` (latent, then one-hot); for the G
 * update, `gIn[dSteps]` and `gdx` `[B, dWidth]` (G's fakes and their one-hot labels). Rows of
 * every matrix are `rowFloats(width)` apart (engine/cpu/network.ts).
 */
import type { ModelSpec } from '../../shared/model/spec'
import { CpuEngineScopeError, parseNetwork, rowFloats, type ParsedNetwork } from './network'
import { PLAN_RECORDS, SYNC } from './ops'

/** The step's shape. */
export interface LayoutOptions {
  batch: number
  dSteps: number
  /** Keep a weight average of G (`--ema` > 0). */
  ema: boolean
}

/** One network's packed arrays (byte addresses); `avg` only for G with a weight average. */
export interface NetworkPlace {
  net: ParsedNetwork
  params: number
  grads: number
  m: number
  v: number
  state: number
  avg: number
}

/** The whole memory map (byte addresses; row strides in bytes). */
export interface StepLayout {
  batch: number
  dSteps: number
  latentDim: number
  classes: number
  /** Pixels of one image (G's output, D's input without the label). */
  image: number
  /** Row strides of G's input and of D's input. */
  gStride: number
  dStride: number
  g: NetworkPlace
  d: NetworkPlace
  /** Inputs per D update (`dx`, `gIn`) and for the G update (`gdx`, `gIn[dSteps]`). */
  dx: number[]
  gIn: number[]
  gdx: number
  /** G's activations: BatchNorm inputs `gz` (0 where the block has none), block outputs `ga`. */
  gz: number[]
  ga: number[]
  /** Gradients at G's block outputs before the activation (`ge`), at its BatchNorm outputs (`gy`). */
  ge: number[]
  gy: number[]
  /** BatchNorm batch statistics (mean, then 1/sqrt(var + ε)) per G block (0 where none). */
  bstat: number[]
  /** D's hidden outputs and the gradients at them; its logits and their gradients. */
  da: number[]
  de: number[]
  logits: number
  dlogits: number
  /** Adam scalars `[lr/(1 − β1^t), 1 − β2^t]` per D update, then for the G update. */
  scalars: number[]
  /** Latent seeds `mixSeed(seed, purpose, step, k)` (u32) per D update, then the G update. */
  seeds: number[]
  /** Losses: `[dLoss, dAcc]` per D update, then gLoss. */
  losses: number
  /** The plan's op records, room for a benchmark's records (engine/cpu/probe.ts), total size. */
  plan: number
  probe: number
  bytes: number
}

/**
 * Lays out the step of `model` at `options.batch`.
 * @throws CpuEngineScopeError for a model outside the tutorial MLPs, or shapes the kernels lack.
 */
export function layoutStep(model: ModelSpec, options: LayoutOptions): StepLayout {
  const B = options.batch
  if (!Number.isInteger(B) || B < 1) {
    throw new CpuEngineScopeError(`Expected a positive integer batch, but got ${B}.`)
  }
  const g = parseNetwork(model.generator, true)
  const d = parseNetwork(model.discriminator, false)
  const C = g.classes
  const L = model.latentDim
  const gLast = g.blocks[g.blocks.length - 1]
  const dLast = d.blocks[d.blocks.length - 1]
  const image = gLast.units
  if (d.classes !== C || d.blocks[0].inputs !== image + C || g.blocks[0].inputs !== L + C) {
    throw new CpuEngineScopeError('Expected G and D of one tutorial MLP, but their shapes differ.')
  }
  if (dLast.units !== 1 || dLast.act.fn !== 'logits' || gLast.act.fn !== 'tanh') {
    throw new CpuEngineScopeError('Expected a tanh G and a one-logit sigmoid D.')
  }
  // The products take 4-float vectors along these sizes (ops.ts: gemmBcast n, gemmDot k).
  for (const b of [...g.blocks, ...d.blocks.slice(0, -1)]) {
    if (b.units % 4 !== 0) {
      throw new CpuEngineScopeError(
        `Expected ${b.name} to have a multiple of 4 units, but got ${b.units}.`,
      )
    }
  }
  if (dLast.inputs % 4 !== 0) {
    throw new CpuEngineScopeError(`Expected ${dLast.name} to take a multiple of 4 inputs.`)
  }

  let top = SYNC.end
  const alloc = (floats: number) => {
    const at = top
    top += Math.ceil((floats * 4) / 64) * 64
    return at
  }
  const gStride = rowFloats(L + C) * 4
  const dStride = rowFloats(image + C) * 4
  // Records, then their work counters (engine/cpu/ops.ts COUNTERS).
  const plan = alloc(2 * PLAN_RECORDS * 16)
  const probe = alloc(2 * PLAN_RECORDS * 16)
  const network = (net: ParsedNetwork, avg: boolean): NetworkPlace => ({
    net,
    params: alloc(net.params),
    grads: alloc(net.params),
    m: alloc(net.params),
    v: alloc(net.params),
    state: alloc(Math.max(net.state, 16)),
    avg: avg ? alloc(net.params) : 0,
  })
  const updates = options.dSteps + 1
  const scalars = Array.from({ length: updates }, () => alloc(4))
  const seeds = Array.from({ length: updates }, () => alloc(1))
  const losses = alloc(2 * options.dSteps + 1)
  const gPlace = network(g, options.ema)
  const dPlace = network(d, false)
  const dx = Array.from({ length: options.dSteps }, () => alloc((2 * B * dStride) / 4))
  const gIn = Array.from({ length: updates }, () => alloc((B * gStride) / 4))
  const gdx = alloc((B * dStride) / 4)
  const perG = (f: (units: number, bn: boolean, last: boolean) => number) =>
    g.blocks.map((b, i) => f(b.units, b.bn !== undefined, i === g.blocks.length - 1))
  const dHidden = d.blocks.slice(0, -1)
  return {
    batch: B,
    dSteps: options.dSteps,
    latentDim: L,
    classes: C,
    image,
    gStride,
    dStride,
    g: gPlace,
    d: dPlace,
    dx,
    gIn,
    gdx,
    gz: perG((n, bn) => (bn ? alloc(B * rowFloats(n)) : 0)),
    ga: perG((n, _, last) => (last ? 0 : alloc(B * rowFloats(n)))),
    ge: perG((n) => alloc(B * rowFloats(n))),
    gy: perG((n, bn) => (bn ? alloc(B * rowFloats(n)) : 0)),
    bstat: perG((n, bn) => (bn ? alloc(2 * n) : 0)),
    da: dHidden.map((b) => alloc(2 * B * rowFloats(b.units))),
    de: dHidden.map((b) => alloc(2 * B * rowFloats(b.units))),
    logits: alloc(2 * B),
    dlogits: alloc(2 * B),
    scalars,
    seeds,
    losses,
    plan,
    probe,
    bytes: top,
  }
}
