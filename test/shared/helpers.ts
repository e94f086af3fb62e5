/**
 * @module test/shared/helpers
 * Small deterministic models and random tensors for the shared/ tests.
 */
import { Xoshiro128 } from '../../shared/latent/rng'
import { tensorSpecs, type ModelSpec, type NetworkSpec } from '../../shared/model/spec'

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

/** Glorot-uniform kernels (dense and conv), small biases, BatchNorm statistics away from identity. */
export function randomTensors(net: NetworkSpec, seed: number): Map<string, Float32Array> {
  const rng = new Xoshiro128(seed)
  const out = new Map<string, Float32Array>()
  for (const t of tensorSpecs(net)) {
    const values = new Float32Array(t.shape.reduce((a, b) => a * b, 1))
    const param = t.name.slice(t.name.lastIndexOf('.') + 1)
    // Glorot: dense [in, out]; conv [k, k, in, out] with fan-in k·k·in and fan-out k·k·out
    const [a, b] = t.shape.length === 4 ? [t.shape[0] * t.shape[1], t.shape[2]] : [1, t.shape[0]]
    const fans = t.shape.length >= 2 ? a * b + a * t.shape[t.shape.length - 1] : 0
    const limit = fans > 0 ? Math.sqrt(6 / fans) : 0
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

/**
 * Every conv-layer geometry on a small map: dense → reshape 5×6×8 → BatchNorm (folded across the
 * reshape) → LeakyReLU → conv 4×4 stride 2 (even kernel, odd rows: padding 1 above, 2 below) →
 * ReLU → conv 3×3 stride 2 (padding 0 before, 1 after) → upsample → conv 1×1 → BatchNorm (folded
 * into the conv) → sigmoid → flatten; 20 and 5 filters (partial blocks of 16). Image 4×4×5.
 */
export function convSpec(): ModelSpec {
  const conv = (name: string, inChannels: number, filters: number, k: number, stride: 1 | 2) =>
    ({ kind: 'conv2d', name, inChannels, filters, kernelSize: k, stride, padding: 'same' }) as const
  return {
    name: 'conv-geometry',
    latentDim: 12,
    imageShape: [4, 4, 5],
    generator: {
      inputs: 12,
      layers: [
        { kind: 'dense', name: 'g.d', inputs: 12, units: 240 },
        { kind: 'reshape', shape: [5, 6, 8] },
        { kind: 'batchNorm', name: 'g.bn0', features: 8, epsilon: 1e-3, momentum: 0.8 },
        { kind: 'activation', fn: 'leakyRelu', alpha: 0.2 },
        conv('g.c1', 8, 20, 4, 2),
        { kind: 'activation', fn: 'relu' },
        conv('g.c2', 20, 5, 3, 2),
        { kind: 'upsample', factor: 2 },
        conv('g.c3', 5, 5, 1, 1),
        { kind: 'batchNorm', name: 'g.bn3', features: 5, epsilon: 1e-3, momentum: 0.8 },
        { kind: 'activation', fn: 'sigmoid' },
        { kind: 'flatten' },
      ],
    },
    discriminator: {
      inputs: 80,
      layers: [{ kind: 'dense', name: 'd.dense0', inputs: 80, units: 1 }],
    },
  }
}
