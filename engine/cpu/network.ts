/**
 * @module engine/cpu/network
 * How the fused CPU step sees a network of the tutorial MLP family (shared/model/presets.ts): dense
 * blocks (`dense [→ batchNorm] → activation`), the optional class condition in front, and its
 * tensors packed for the module: the trainable ones in `tensorSpecs` order in one array (so Adam is
 * one op, and a dense kernel `[in, units]` is a row-major matrix the products read in place), each
 * tensor starting on a 64-byte line; the BatchNorm moving statistics in a second array.
 *
 * Scope: the tutorial MLPs (`--model mlp | cgan`) with the BCE loss and no dropout; anything else
 * throws {@link CpuEngineScopeError}, and such runs stay on the tfjs path.
 */
import { tensorSpecs, type LayerSpec, type NetworkSpec } from '../../shared/model/spec'

/** A model the fused CPU step does not implement; the message says what part of it. */
export class CpuEngineScopeError extends Error {
  override name = 'CpuEngineScopeError'
}

/** Floats per alignment unit: 16 floats, one 64-byte cache line. */
export const LINE = 16

/** Rounds `n` floats up to whole lines. */
export const roundLine = (n: number) => Math.ceil(n / LINE) * LINE

/**
 * Floats from one row to the next of a matrix `n` wide, in weights and activations alike: whole
 * 4-float vectors, and never a multiple of 512 bytes. Rows 2^k bytes apart fall into a few L1 sets
 * (a 48 KB 12-way L1 has 64 sets of 64-byte lines; rows 2 KB apart use 2 of them), so a panel of
 * a [784, 512] kernel would not stay in L1 however small; 16 floats more spread the rows over all
 * sets.
 * @example rowFloats(512) // 528
 */
export function rowFloats(n: number): number {
  const s = Math.ceil(n / 4) * 4
  return s % 128 === 0 ? s + LINE : s
}

/**
 * One tensor of a network and its place (in floats) in the packed parameters or state: `rows`
 * rows of `cols` values, `ld` floats apart (a kernel `[inputs, units]` has `rowFloats(units)`; a
 * vector, and a one-unit kernel, is one contiguous row).
 */
export interface TensorPlace {
  name: string
  shape: number[]
  size: number
  trainable: boolean
  /** Float offset inside `params` (trainable) or `state` (moving statistics). */
  offset: number
  rows: number
  cols: number
  ld: number
}

/** A BatchNorm layer between a block's dense and its activation. */
export interface BatchNormBlock {
  name: string
  epsilon: number
  momentum: number
  gamma: number
  beta: number
  movingMean: number
  movingVariance: number
}

/** The activation closing a block. */
export type BlockActivation =
  | { fn: 'leakyRelu'; alpha: number }
  | { fn: 'tanh' }
  /** D's sigmoid: the step trains on logits (trainer/core/losses.ts), so the block outputs logits. */
  | { fn: 'logits' }

/** One dense block. */
export interface Block {
  name: string
  inputs: number
  units: number
  /** Float offsets of the kernel `[inputs, units]` and the bias in the packed parameters. */
  kernel: number
  bias: number
  /** Bytes between kernel rows. */
  ld: number
  bn?: BatchNormBlock
  act: BlockActivation
}

/** A parsed network. */
export interface ParsedNetwork {
  blocks: Block[]
  tensors: TensorPlace[]
  /** Floats of the packed parameters and of the state (both whole lines). */
  params: number
  state: number
  /** Classes of the condition layer in front (0: none). */
  classes: number
}

/**
 * Parses `net`; `generator` allows BatchNorm and a tanh output, a discriminator ends on a sigmoid.
 * @throws CpuEngineScopeError for a network outside the tutorial MLPs.
 */
export function parseNetwork(net: NetworkSpec, generator: boolean): ParsedNetwork {
  const tensors: TensorPlace[] = []
  let params = 0
  let state = 0
  for (const t of tensorSpecs(net)) {
    const size = t.shape.reduce((a, b) => a * b, 1)
    const offset = t.trainable ? params : state
    const matrix = t.shape.length === 2 && t.shape[1] > 1
    const [rows, cols] = matrix ? t.shape : [1, size]
    const ld = matrix ? rowFloats(cols) : size
    tensors.push({
      name: t.name,
      shape: t.shape,
      size,
      trainable: t.trainable,
      offset,
      rows,
      cols,
      ld,
    })
    if (t.trainable) params += roundLine(rows * ld)
    else state += roundLine(rows * ld)
  }
  const place = (name: string) => tensors.find((t) => t.name === name)!
  const at = (name: string) => place(name).offset
  const blocks: Block[] = []
  let classes = 0
  let pending: { dense: Extract<LayerSpec, { kind: 'dense' }>; bn?: BatchNormBlock } | undefined
  const what = generator ? 'G' : 'D'
  net.layers.forEach((layer, i) => {
    const last = i === net.layers.length - 1
    if (layer.kind === 'condition' && i === 0) {
      classes = layer.classes
    } else if (layer.kind === 'dense' && !pending) {
      pending = { dense: layer }
    } else if (layer.kind === 'batchNorm' && generator && pending && !pending.bn) {
      pending.bn = {
        name: layer.name,
        epsilon: layer.epsilon,
        momentum: layer.momentum,
        gamma: at(`${layer.name}.gamma`),
        beta: at(`${layer.name}.beta`),
        movingMean: at(`${layer.name}.movingMean`),
        movingVariance: at(`${layer.name}.movingVariance`),
      }
    } else if (layer.kind === 'activation' && pending) {
      let act: BlockActivation | undefined
      if (layer.fn === 'leakyRelu' && !last) act = { fn: 'leakyRelu', alpha: layer.alpha ?? 0.2 }
      else if (layer.fn === 'tanh' && generator && last) act = { fn: 'tanh' }
      else if (layer.fn === 'sigmoid' && !generator && last) act = { fn: 'logits' }
      if (!act) {
        throw new CpuEngineScopeError(
          `Expected a tutorial MLP for the fused CPU step, but got a ${layer.fn} activation ` +
            `after ${pending.dense.name}.`,
        )
      }
      const { dense, bn } = pending
      blocks.push({
        name: dense.name,
        inputs: dense.inputs,
        units: dense.units,
        kernel: at(`${dense.name}.kernel`),
        bias: at(`${dense.name}.bias`),
        ld: 4 * place(`${dense.name}.kernel`).ld,
        bn,
        act,
      })
      pending = undefined
    } else {
      throw new CpuEngineScopeError(
        `Expected a tutorial MLP for the fused CPU step, but got a ${layer.kind} layer at ` +
          `position ${i} of ${what}.`,
      )
    }
  })
  if (pending || blocks.length < 2) {
    throw new CpuEngineScopeError(
      `Expected a tutorial MLP for the fused CPU step, but ${what} does not end in a dense block.`,
    )
  }
  return { blocks, tensors, params, state, classes }
}
