/**
 * @module test/edge/fixture-model
 * A tiny, fully deterministic generator artifact for golden tests: its weights come from Xoshiro128
 * with a fixed seed, so the committed copy in test/fixtures/tiny-model/ can be rebuilt bit for bit
 * (`npx tsx test/e2e/write-fixture-model.ts`) and the golden PNG hashes do not depend on training.
 * Runtime-free, so the same builder runs in Node and inside workerd.
 */
import { Xoshiro128 } from '../../shared/latent/rng'
import { tensorSpecs } from '../../shared/model/spec'
import type { LayerSpec, ModelSpec, NetworkSpec } from '../../shared/model/spec'
import { encodeWeights } from '../../shared/model/weights'
import type { Dtype, Manifest } from '../../shared/model/weights'

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

/** PRNG seed of the conditional fixture's weights (test/fixtures/tiny-cgan/). */
export const CGAN_FIXTURE_SEED = 20260511

/** The URLs whose PNG hashes {@link CGAN_GOLDEN} pins for the conditional fixture. */
export const CGAN_GOLDEN_URLS = [
  '/generate?seed=42&digit=7',
  '/generate?seed=42',
  '/generate?seed=4294967295&digit=0&scale=3',
  '/grid?seed=1&n=16&digit=3',
  '/grid?seed=0&n=12',
  '/grid?seed=4294967295&n=20&digit=all',
  '/interpolate?from=42&to=7&steps=5&digit=5',
] as const

/**
 * The sha256 of each {@link CGAN_GOLDEN_URLS} response on the conditional fixture, computed in
 * Node. Two tests pin against them: the worker inside workerd (test/edge/conditional.test.ts) and
 * `npm run generate --digit` / `npm run sample --digit` (test/trainer/generate.test.ts,
 * sample.test.ts), so Node and the worker agree on the bytes of a chosen and of a seed-picked digit.
 * Re-pin with `npx tsx test/e2e/write-fixture-model.ts`, only for a deliberate pipeline change.
 */
export const CGAN_GOLDEN: Record<(typeof CGAN_GOLDEN_URLS)[number], string> = {
  '/generate?seed=42&digit=7': 'dc10c40685e1eb6e0771b2b405bf9ab0426f21ea6955bfcc3a2174631acd02dd',
  '/generate?seed=42': '4747de92f36065a85d8ada45c3280b1a7a6bc87370a5bd1c3631d2c188b1bc72',
  '/generate?seed=4294967295&digit=0&scale=3':
    '7e29156ec2f8d534445c67292eadb085f6079f7093f088b80dccf8b3eda81aa4',
  '/grid?seed=1&n=16&digit=3': 'b99bd9cacbf68752fb4a21ffc1552bf189fe6889ea0aee51ee2ae1af487eecb8',
  '/grid?seed=0&n=12': '80a9f5a94abe9fc8b353d2c994207a147b562dd93bd9d8a62000ad6a3e400da1',
  '/grid?seed=4294967295&n=20&digit=all':
    '0479637a52dc77dc98a83ff47f039b037b53a1b5922fb5f8627b254333ab4da3',
  '/interpolate?from=42&to=7&steps=5&digit=5':
    '23190e3a4146f41aa61035a079eca7f5a933131ab919ab762a09d66490040e42',
}

/**
 * A tiny member of the tutorial MLP family: G z(8) → 16 → 32 (BatchNorm) → 784 tanh, every layer
 * kind of the tutorial generator at 2 % of its size; D 784 → `dLayers` → sigmoid. `classes` > 0
 * conditions G and D on a one-hot label appended to their inputs, as `tutorialMlp({ classes })`
 * does (`dLayers` then start from 784 + `classes` inputs). The fused WebGPU step's tests build
 * their tiny MLP from it too (test/trainer/engines/fused-fixtures.ts): it lives here because the
 * edge tests, in workerd, can import nothing from the Node side, while the Node side can import
 * this runtime-free file.
 * @example tinySpec('tiny', 0, [{ kind: 'dense', name: 'd.dense0', inputs: 784, units: 1 }])
 */
export function tinySpec(name: string, classes: number, dLayers: LayerSpec[]): ModelSpec {
  const lrelu = { kind: 'activation', fn: 'leakyRelu', alpha: 0.2 } as const
  const condition = classes > 0 ? [{ kind: 'condition', classes } as const] : []
  return {
    name,
    latentDim: 8,
    imageShape: [28, 28, 1],
    generator: {
      inputs: 8,
      layers: [
        ...condition,
        { kind: 'dense', name: 'g.dense0', inputs: 8 + classes, units: 16 },
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
      layers: [...condition, ...dLayers, { kind: 'activation', fn: 'sigmoid' }],
    },
  }
}

/**
 * The fixtures' model: {@link tinySpec} with D a single dense unit, so the committed payload stays
 * around 14 KB in q8.
 */
export function fixtureSpec(classes = 0): ModelSpec {
  return tinySpec(classes > 0 ? 'fixture-tiny-cgan' : 'fixture-tiny', classes, [
    { kind: 'dense', name: 'd.dense0', inputs: 784 + classes, units: 1 },
  ])
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

/** The conditional fixture (10 classes), exactly as committed under test/fixtures/tiny-cgan/. */
export function buildConditionalFixtureModel(dtype: Dtype = 'q8'): {
  manifest: Manifest
  payload: Uint8Array
} {
  const model = fixtureSpec(10)
  return encodeWeights(model, randomTensors(model.generator, CGAN_FIXTURE_SEED), { dtype })
}
