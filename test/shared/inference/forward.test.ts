import { sha256Hex } from '../../../shared/codec/sha256'
import { describe, expect, it } from 'vitest'
import { createGenerator } from '../../../shared/inference/forward'
import { KernelError } from '../../../shared/inference/kernel'
import { sampleLatent, sampleLatents } from '../../../shared/latent/latent'
import { type ModelSpec } from '../../../shared/model/spec'
import { tutorialMlp } from '../../../shared/model/presets'
import { decodeWeights, encodeWeights, type Dtype } from '../../../shared/model/weights'
import { loadKernel } from '../../../trainer/kernel'
import { randomTensors, smallSpec } from '../helpers'
import { maxAbsDiff, naiveForward } from './naive-forward'

function generatorFor(model: ModelSpec, seed: number, dtype: Dtype = 'f32') {
  const tensors = randomTensors(model.generator, seed)
  const { manifest, payload } = encodeWeights(model, tensors, { dtype })
  const weights = decodeWeights(JSON.parse(JSON.stringify(manifest)), payload)
  return { tensors, weights, generator: createGenerator(weights) }
}

describe('createGenerator', () => {
  it('should match a naive forward pass within 1e-5 on every layer kind', () => {
    const model = smallSpec()
    const { tensors, generator } = generatorFor(model, 5)
    expect(generator.latentDim).toBe(6)
    expect(generator.outputSize).toBe(16)
    for (let seed = 0; seed < 50; seed++) {
      const z = sampleLatent(seed, 6)
      expect(maxAbsDiff(generator.run(z), naiveForward(model, tensors, z))).toBeLessThan(1e-5)
    }
  })

  it('should match a naive forward pass within 1e-5 on the tutorial MLP', () => {
    const model = tutorialMlp()
    const { tensors, generator } = generatorFor(model, 6)
    for (let seed = 0; seed < 5; seed++) {
      const z = sampleLatent(seed, 100)
      expect(maxAbsDiff(generator.run(z), naiveForward(model, tensors, z))).toBeLessThan(1e-5)
    }
  })

  it('should fold BatchNorm into the dense layer exactly up to float32 rounding', () => {
    // dense → BatchNorm → linear: the output is the folded affine map alone
    const model: ModelSpec = {
      ...smallSpec(),
      generator: {
        inputs: 6,
        layers: [
          { kind: 'dense', name: 'g.dense0', inputs: 6, units: 16 },
          { kind: 'batchNorm', name: 'g.bn0', features: 16, epsilon: 1e-3, momentum: 0.8 },
        ],
      },
    }
    const { tensors, generator } = generatorFor(model, 8)
    const k = tensors.get('g.dense0.kernel')!
    for (let seed = 0; seed < 20; seed++) {
      const z = sampleLatent(seed, 6)
      const got = generator.run(z)
      const want = naiveForward(model, tensors, z)
      for (let j = 0; j < 16; j++) {
        const g = (p: string) => tensors.get(`g.bn0.${p}`)![j]
        const s = g('gamma') / Math.sqrt(g('movingVariance') + 1e-3)
        // float32 throughout: each folded weight, each of the 6 products and the folded bias
        // carry one rounding (2^-24 relative to their term), and each of the 7 sums one at most
        // 2^-24 of the running sum, itself at most the sum of the magnitudes
        let magnitude = Math.abs(
          (tensors.get('g.dense0.bias')![j] - g('movingMean')) * s + g('beta'),
        )
        for (let i = 0; i < 6; i++) magnitude += Math.abs(k[i * 16 + j] * s * z[i])
        const bound = 2 ** -24 * 9 * magnitude * 1.01
        expect(Math.abs(got[j] - want[j])).toBeLessThanOrEqual(bound)
      }
    }
  })

  it('should output values in [-1, 1] for a tanh output layer', () => {
    const { generator } = generatorFor(tutorialMlp(), 7)
    const zs = sampleLatents(0, 20, 100)
    for (let i = 0; i < 20; i++) {
      const out = generator.run(zs.subarray(i * 100, (i + 1) * 100))
      expect(out.length).toBe(784)
      expect(out.every((v) => v >= -1 && v <= 1)).toBe(true)
    }
  })

  it('should be deterministic, leave z alone and return a fresh array', () => {
    const { generator } = generatorFor(smallSpec(), 2)
    const z = sampleLatent(42, 6)
    const copy = z.slice()
    const a = generator.run(z)
    const b = generator.run(z)
    expect(b).toEqual(a)
    expect(b).not.toBe(a)
    expect(z).toEqual(copy)
  })

  // float32 weights, and q15's integer kernels ((Σ q·x)·step + bias): fixed summation order
  it.for([
    ['f32', '2cf0b3254e1cfe5b7cd029b83f303b84455c7b8c0eca0713ee10772dfbac3ae8'],
    ['q15', '1b8a53cfdf853f3e565fe6ac72e3009e773cc2da4681ba92e691e9a295570a08'],
  ] as const)('should pin the output bits of the tutorial MLP stored as %s', ([dtype, hash]) => {
    const { weights, generator } = generatorFor(tutorialMlp(), 2026, dtype)
    const wasm = createGenerator(weights, { kernel: loadKernel() })
    for (const g of [generator, wasm]) {
      const out = g.run(sampleLatent(42, 100))
      const bytes = new Uint8Array(out.length * 4)
      out.forEach((v, i) => new DataView(bytes.buffer).setFloat32(i * 4, v, true))
      expect(sha256Hex(bytes)).toBe(hash)
    }
  })

  it('should run a quantized kernel on its stored integers, (Σ q·x)·step + bias', () => {
    const model = tutorialMlp()
    const { weights, generator } = generatorFor(model, 9, 'q15')
    // The dequantized floats are what the integers stand for: the float64 oracle agrees.
    for (let seed = 0; seed < 3; seed++) {
      const z = sampleLatent(seed, 100)
      const want = naiveForward(model, weights.tensors, z)
      expect(maxAbsDiff(generator.run(z), want)).toBeLessThan(1e-5)
    }
    // The rounding is that of the integer sum, not of the floats: a generator given only the
    // dequantized floats rounds differently, so the engine did not fall back to them.
    const floats = createGenerator({ manifest: weights.manifest, tensors: weights.tensors })
    const z = sampleLatent(0, 100)
    expect(generator.run(z)).not.toEqual(floats.run(z))
    expect(weights.integers!.get('g.dense3.kernel')!.values.length).toBe(512 * 784)
  })

  it('should give bit-identical outputs on the WebAssembly kernel and in JS, all dtypes', () => {
    const kernel = loadKernel()
    // smallSpec has layers of 10, 12 and 16 units (padded blocks); the tutorial MLP is the product.
    // Latents scaled by 1e-20 and 1e20 add subnormal products and overflow to ±Infinity and NaN.
    for (const [model, latents] of [
      [smallSpec(), 300],
      [tutorialMlp(), 100],
    ] as const) {
      for (const dtype of ['f32', 'f16', 'q8', 'q12', 'q15'] as const) {
        const { weights, generator: js } = generatorFor(model, 11, dtype)
        const wasm = createGenerator(weights, { kernel })
        for (let seed = 0; seed < latents; seed++) {
          const z = sampleLatent(seed, model.latentDim)
          const scale = seed % 10 === 1 ? 1e-20 : seed % 10 === 2 ? 1e20 : 1 + seed / latents
          for (let i = 0; i < z.length; i++) z[i] *= scale
          const a = js.run(z)
          const b = wasm.run(z)
          // Object.is: bitwise for numbers (−0 ≠ +0) except that any NaN equals any NaN
          const same = a.length === b.length && a.every((v, i) => Object.is(v, b[i]))
          expect(same, `${model.name} ${dtype} seed ${seed}`).toBe(true)
        }
      }
    }
  })

  it('should reject a kernel module that is not shared/inference/kernel.wasm', () => {
    const { weights } = generatorFor(smallSpec(), 1)
    const empty = new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]))
    expect(() => createGenerator(weights, { kernel: empty })).toThrow(KernelError)
  })

  it('should run models decoded from every dtype, close to the f32 model', () => {
    const model = tutorialMlp()
    const f32 = generatorFor(model, 4, 'f32').generator
    for (const [dtype, tolerance] of [
      ['f16', 0.01],
      ['q15', 0.01],
      ['q14', 0.01],
      ['q8', 0.1],
    ] as const) {
      const g = generatorFor(model, 4, dtype).generator
      for (let seed = 0; seed < 5; seed++) {
        const z = sampleLatent(seed, 100)
        expect(maxAbsDiff(g.run(z), f32.run(z)), dtype).toBeLessThan(tolerance)
      }
    }
  })

  it('should reject a latent of the wrong length', () => {
    const { generator } = generatorFor(smallSpec(), 1)
    expect(() => generator.run(new Float32Array(5))).toThrow(
      'Expected a latent of 6 values, but got 5.',
    )
  })
})
