import { describe, expect, it } from 'vitest'
import { seedLabel } from '../../../shared/latent/condition'
import { createGenerator } from '../../../shared/inference/forward'
import { sampleLatent } from '../../../shared/latent/latent'
import { classCount } from '../../../shared/model/spec'
import { tutorialMlp } from '../../../shared/model/presets'
import { decodeWeights, encodeWeights, WeightFormatError } from '../../../shared/model/weights'
import { loadKernel } from '../../../trainer/kernel'
import { randomTensors } from '../helpers'

function conditional(seed = 3) {
  const model = tutorialMlp({ classes: 10 })
  const tensors = randomTensors(model.generator, seed)
  const { manifest, payload } = encodeWeights(model, tensors, { dtype: 'f32' })
  return { model, tensors, manifest, payload, weights: decodeWeights(manifest, payload) }
}

/** The conditional G as a plain float64 loop: dense over [z, onehot], BN, activations. */
function naiveFirstLayer(tensors: Map<string, Float32Array>, z: Float32Array, label: number) {
  const k = tensors.get('g.dense0.kernel')!
  const b = tensors.get('g.dense0.bias')!
  const x = [...z, ...Array.from({ length: 10 }, (_, i) => (i === label ? 1 : 0))]
  return Array.from({ length: 128 }, (_, j) => {
    let sum = b[j]
    for (let i = 0; i < 110; i++) sum += x[i] * k[i * 128 + j]
    return sum < 0 ? 0.2 * sum : sum
  })
}

describe('condition layer', () => {
  it('should append one-hot labels to G and D inputs of the conditional MLP', () => {
    const model = tutorialMlp({ classes: 10 })
    expect(model.name).toBe('cgan-mlp')
    expect(classCount(model.generator)).toBe(10)
    expect(classCount(model.discriminator)).toBe(10)
    expect(classCount(tutorialMlp().generator)).toBe(0)
    expect(model.generator.layers[1]).toMatchObject({ kind: 'dense', inputs: 110 })
    expect(model.discriminator.layers[1]).toMatchObject({ kind: 'dense', inputs: 794 })
  })

  it('should feed the one-hot label to the first dense layer', () => {
    const { tensors, manifest, payload } = conditional()
    // Cut the generator after its first dense + LeakyReLU to compare that layer exactly.
    const cut = structuredClone(manifest)
    const z = sampleLatent(9, 100)
    const full = createGenerator(decodeWeights(manifest, payload))
    expect(full.classes).toBe(10)
    for (const label of [0, 4, 9]) {
      const layers = cut.model.generator.layers.slice(0, 3)
      const probe = {
        ...decodeWeights(manifest, payload),
        manifest: { ...cut, model: { ...cut.model, generator: { inputs: 100, layers } } },
      }
      const y = createGenerator(probe).run(z, label)
      const want = naiveFirstLayer(tensors, z, label)
      for (let j = 0; j < 128; j++) expect(Math.abs(y[j] - want[j])).toBeLessThan(1e-5)
    }
  })

  it('should draw different images for different labels and the same for the same label', () => {
    const generator = createGenerator(conditional().weights)
    const z = sampleLatent(1, 100)
    expect(Array.from(generator.run(z, 3))).toEqual(Array.from(generator.run(z, 3)))
    expect(Array.from(generator.run(z, 3))).not.toEqual(Array.from(generator.run(z, 4)))
  })

  it('should give bit-identical images on the WebAssembly kernel and in JS', () => {
    const { weights } = conditional(11)
    const js = createGenerator(weights)
    const wasm = createGenerator(weights, { kernel: loadKernel() })
    for (let seed = 0; seed < 20; seed++) {
      const z = sampleLatent(seed, 100)
      const a = js.run(z, seed % 10)
      const b = wasm.run(z, seed % 10)
      expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true)
    }
  })

  it('should reject a missing, fractional or out-of-range label, and a label on an unconditional G', () => {
    const generator = createGenerator(conditional().weights)
    const z = sampleLatent(1, 100)
    for (const bad of [undefined, -1, 10, 2.5, Number.NaN]) {
      expect(() => generator.run(z, bad)).toThrow(/Expected a label in 0\.\.9/)
    }
    const model = tutorialMlp()
    const { manifest, payload } = encodeWeights(model, randomTensors(model.generator, 1), { dtype: 'f32' })
    const plain = createGenerator(decodeWeights(manifest, payload))
    expect(plain.classes).toBe(0)
    expect(() => plain.run(z, 3)).toThrow(/Expected no label/)
  })

  it('should reject a manifest whose D is conditioned differently from G', () => {
    const { manifest, payload } = conditional()
    const bad = structuredClone(manifest)
    bad.model.discriminator = tutorialMlp().discriminator
    expect(() => decodeWeights(bad, payload)).toThrow(WeightFormatError)
    expect(() => decodeWeights(bad, payload)).toThrow(/conditioned on 10 classes/)
    const twice = structuredClone(manifest)
    twice.model.discriminator.layers.push({ kind: 'condition', classes: 10 }) // sizes still add up
    expect(() => decodeWeights(twice, payload)).toThrow(/at most one condition layer/)
    const zero = structuredClone(manifest)
    zero.model.generator.layers[0] = { kind: 'condition', classes: 0 }
    expect(() => decodeWeights(zero, payload)).toThrow(/classes to be a positive integer/)
  })
})

describe('seedLabel', () => {
  it('should cycle through the classes with consecutive seeds', () => {
    expect([0, 1, 9, 10, 42, 4294967295].map((s) => seedLabel(s, 10))).toEqual([0, 1, 9, 0, 2, 5])
    expect(seedLabel(42, 0)).toBeUndefined()
  })
})
