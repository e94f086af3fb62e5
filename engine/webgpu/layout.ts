/**
 * @module engine/webgpu/layout
 * How the fused WebGPU step (engine/webgpu/fused-step.ts) sees a tfjs network: its dense blocks
 * (`dense [→ batchNorm] → activation`) and where each of its tensors lives in the packed buffers.
 *
 * Packing: the trainable tensors in `tensorSpecs` order in one buffer (so Adam is one dispatch,
 * and a dense layer's kernel `[in, units]` and bias `[units]` are adjacent: their gradients come
 * out of one matMul with a ones row appended to the input); the moving BatchNorm statistics in a
 * separate state buffer.
 *
 * Scope: the tutorial MLPs of shared/model/presets.ts, with or without the class condition; anything
 * else throws (trainer/config.ts keeps those runs on the tfjs ops).
 */
import { tensorSpecs, type LayerSpec, type NetworkSpec } from '../../shared/model/spec'
import { IDENTITY, leakyRelu, TANH, type Activation, type BatchNormPlace } from './wgsl'

/** One dense block: the dense layer, an optional BatchNorm, and its activation. */
export interface Block {
  name: string
  inputs: number
  units: number
  /** Offset of the kernel in the packed parameters; the bias follows it. */
  kernel: number
  bn?: BatchNormPlace
  act: Activation
}

/** Where one tensor of the tfjs network lives in the engine's buffers. */
export interface TensorPlace {
  name: string
  buffer: 'params' | 'state'
  offset: number
  size: number
}

/** The error for a network outside the fused step's scope. */
export function unsupported(what: string): Error {
  return new Error(`Expected a tutorial MLP for the fused WebGPU step, but got ${what}.`)
}

/**
 * Splits a network into dense blocks and lays its tensors out; `rows` is the batch its
 * BatchNorm layers normalize over, `generator` allows BatchNorm and a tanh output.
 * @throws Error for a network outside the tutorial MLPs.
 */
export function parseNetwork(net: NetworkSpec, rows: number, generator: boolean) {
  const tensors: TensorPlace[] = []
  let params = 0
  let state = 0
  for (const t of tensorSpecs(net)) {
    const size = t.shape.reduce((a, b) => a * b, 1)
    if (t.trainable) tensors.push({ name: t.name, buffer: 'params', offset: params, size })
    else tensors.push({ name: t.name, buffer: 'state', offset: state, size })
    if (t.trainable) params += size
    else state += size
  }
  const at = (name: string) => tensors.find((t) => t.name === name)!.offset
  const blocks: Block[] = []
  let classes = 0
  let stats = 0
  let pending: { layer: Extract<LayerSpec, { kind: 'dense' }>; bn?: BatchNormPlace } | undefined
  net.layers.forEach((layer, i) => {
    if (layer.kind === 'condition' && i === 0) classes = layer.classes
    else if (layer.kind === 'dense' && !pending) pending = { layer }
    else if (layer.kind === 'batchNorm' && generator && pending && !pending.bn) {
      pending.bn = {
        label: layer.name,
        rows,
        features: layer.features,
        epsilon: layer.epsilon,
        momentum: layer.momentum,
        gamma: at(`${layer.name}.gamma`),
        beta: at(`${layer.name}.beta`),
        stats,
        movingMean: at(`${layer.name}.movingMean`),
        movingVariance: at(`${layer.name}.movingVariance`),
      }
      stats += 2 * layer.features
    } else if (layer.kind === 'activation' && pending) {
      const last = i === net.layers.length - 1
      const act =
        layer.fn === 'leakyRelu'
          ? leakyRelu(layer.alpha ?? 0.2)
          : layer.fn === 'tanh' && generator && last
            ? TANH
            : layer.fn === 'sigmoid' && !generator && last
              ? IDENTITY // D is trained on its logits (trainer/core/losses.ts)
              : undefined
      if (!act) throw unsupported(`a ${layer.fn} activation after ${pending.layer.name}`)
      const { layer: d, bn } = pending
      blocks.push({
        name: d.name,
        inputs: d.inputs,
        units: d.units,
        kernel: at(`${d.name}.kernel`),
        bn,
        act,
      })
      pending = undefined
    } else {
      throw unsupported(`a ${layer.kind} layer at position ${i}`)
    }
  })
  if (pending || blocks.length < 2) throw unsupported('a network that does not end in a block')
  return { tensors, params, state, blocks, classes, stats }
}
