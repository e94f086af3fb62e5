/**
 * @module test/edge/fixture-model
 * A tiny, fully deterministic generator artifact for golden tests: its weights come from Xoshiro128
 * with a fixed seed, so the committed copy in test/fixtures/tiny-model/ can be rebuilt bit for bit
 * (`npx tsx test/e2e/write-fixture-model.ts`) and the golden PNG hashes do not depend on training.
 * Runtime-free, so the same builder runs in Node and inside workerd.
 */
import { Xoshiro128 } from '../../shared/rng'
import { tensorSpecs } from '../../shared/spec'
import type { ModelSpec, NetworkSpec } from '../../shared/spec'
import { encodeWeights } from '../../shared/weights'
import type { Dtype, Manifest } from '../../shared/weights'

/** PRNG seed of the fixture's weights. */
export const FIXTURE_SEED = 20260426

/** The URLs whose PNG hashes test/edge/golden.test.ts pins for this model. */
export const GOLDEN_URLS = [
  '/generate?seed=0',
  '/generate?seed=42',
  '/generate?seed=4294967295',
  '/generate?seed=42&scale=3',
  '/grid?seed=0&n=16',
] as const

/**
 * z(8) → 16 → 32 (BatchNorm) → 784 tanh: every layer kind of the tutorial generator, at 2 % of its
 * size, so the committed payload stays around 14 KB in q8.
 */
export function fixtureSpec(): ModelSpec {
  const lrelu = { kind: 'activation', fn: 'leakyRelu', alpha: 0.2 } as const
  return {
    name: 'fixture-tiny',
    latentDim: 8,
    imageShape: [28, 28, 1],
    generator: {
      inputs: 8,
      layers: [
        { kind: 'dense', name: 'g.dense0', inputs: 8, units: 16 },
        lrelu,
        { kind: 'dense', name: 'g.dense1', inputs: 16, units: 32 },
        { kind: 'batchNorm', name: 'g.bn1', features: 32, epsilon: 1e-3, momentum: 0.8 },
        lrelu,
        { kind: 'dense', name: 'g.dense2', inputs: 32, units: 784 },
        { kind: 'activation', fn: 'tanh' },
      ],
    },
    discriminator: {
      inputs: 784,
      layers: [
        { kind: 'dense', name: 'd.dense0', inputs: 784, units: 1 },
        { kind: 'activation', fn: 'sigmoid' },
      ],
    },
  }
}

/**
 * Random but plausible tensors for a network: Glorot-uniform kernels (times 2, so the images use
 * the whole grey range instead of hovering around mid-grey), small biases, BatchNorm statistics
 * near identity, drawn in `tensorSpecs` order from one Xoshiro128 stream.
 */
export function randomTensors(net: NetworkSpec, seed: number): Map<string, Float32Array> {
  const rng = new Xoshiro128(seed)
  const tensors = new Map<string, Float32Array>()
  for (const spec of tensorSpecs(net)) {
    const size = spec.shape.reduce((a, b) => a * b, 1)
    const values = new Float32Array(size)
    const param = spec.name.slice(spec.name.lastIndexOf('.') + 1)
    const limit = spec.shape.length === 2 ? 2 * Math.sqrt(6 / (spec.shape[0] + spec.shape[1])) : 0
    for (let i = 0; i < size; i++) {
      const u = rng.nextFloat() * 2 - 1 // [-1, 1)
      values[i] =
        param === 'kernel'
          ? u * limit
          : param === 'gamma'
            ? 1 + 0.1 * u
            : param === 'movingVariance'
              ? 1 + 0.5 * u
              : 0.1 * u // bias, beta, movingMean
    }
    tensors.set(spec.name, values)
  }
  return tensors
}

/** The fixture artifact, exactly as committed under test/fixtures/tiny-model/. */
export function buildFixtureModel(dtype: Dtype = 'q8'): {
  manifest: Manifest
  payload: Uint8Array
} {
  const model = fixtureSpec()
  return encodeWeights(model, randomTensors(model.generator, FIXTURE_SEED), { dtype })
}
