/**
 * @module test/shared/helpers
 * Small deterministic models and random tensors for the shared/ tests.
 */
import { Xoshiro128 } from '../../shared/rng'
import { tensorSpecs, type ModelSpec, type NetworkSpec } from '../../shared/spec'

/**
 * z(6) → 10 → BatchNorm → LeakyReLU → dropout → 12 → BatchNorm → ReLU → 16 → tanh, image 4×4×1:
 * every generator layer kind, with sizes that are not multiples of 4 or 8.
 */
export function smallSpec(): ModelSpec {
  return {
    name: 'small',
    latentDim: 6,
    imageShape: [4, 4, 1],
    generator: {
      inputs: 6,
      layers: [
        { kind: 'dense', name: 'g.dense0', inputs: 6, units: 10 },
        { kind: 'batchNorm', name: 'g.bn0', features: 10, epsilon: 1e-3, momentum: 0.8 },
        { kind: 'activation', fn: 'leakyRelu', alpha: 0.2 },
        { kind: 'dropout', rate: 0.3 },
        { kind: 'dense', name: 'g.dense1', inputs: 10, units: 12 },
        { kind: 'batchNorm', name: 'g.bn1', features: 12, epsilon: 1e-3, momentum: 0.8 },
        { kind: 'activation', fn: 'relu' },
        { kind: 'dense', name: 'g.dense2', inputs: 12, units: 16 },
        { kind: 'activation', fn: 'tanh' },
      ],
    },
    discriminator: {
      inputs: 16,
      layers: [
        { kind: 'dense', name: 'd.dense0', inputs: 16, units: 1 },
        { kind: 'activation', fn: 'sigmoid' },
      ],
    },
  }
}

/** Glorot-uniform kernels, small biases, BatchNorm statistics away from identity. */
export function randomTensors(net: NetworkSpec, seed: number): Map<string, Float32Array> {
  const rng = new Xoshiro128(seed)
  const out = new Map<string, Float32Array>()
  for (const t of tensorSpecs(net)) {
    const values = new Float32Array(t.shape.reduce((a, b) => a * b, 1))
    const param = t.name.slice(t.name.lastIndexOf('.') + 1)
    const limit = t.shape.length === 2 ? Math.sqrt(6 / (t.shape[0] + t.shape[1])) : 0
    for (let i = 0; i < values.length; i++) {
      const u = 2 * rng.nextFloat() - 1
      values[i] =
        param === 'kernel'
          ? u * limit
          : param === 'gamma'
            ? 1 + 0.3 * u
            : param === 'movingVariance'
              ? 0.6 + 0.5 * u
              : 0.2 * u
    }
    out.set(t.name, values)
  }
  return out
}
