import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { describe, expect, it } from 'vitest'
import { createGenerator, toGray } from '../../shared/forward'
import { sampleLatent, sampleLatents } from '../../shared/latent'
import { tutorialMlp, type ModelSpec } from '../../shared/spec'
import { decodeWeights, encodeWeights, type Dtype } from '../../shared/weights'
import { randomTensors, smallSpec } from './helpers'

function generatorFor(model: ModelSpec, seed: number, dtype: Dtype = 'f32') {
  const tensors = randomTensors(model.generator, seed)
  const { manifest, payload } = encodeWeights(model, tensors, { dtype })
  const weights = decodeWeights(JSON.parse(JSON.stringify(manifest)), payload)
  return { tensors, weights, generator: createGenerator(weights) }
}

/** The textbook forward pass: unfolded BatchNorm, plain loops, Math.* functions, float64. */
function naiveForward(model: ModelSpec, t: Map<string, Float32Array>, z: Float32Array): number[] {
  let x = Array.from(z)
  for (const layer of model.generator.layers) {
    if (layer.kind === 'dense') {
      const k = t.get(`${layer.name}.kernel`)!
      const b = t.get(`${layer.name}.bias`)!
      const y: number[] = []
      for (let j = 0; j < layer.units; j++) {
        let sum = b[j]
        for (let i = 0; i < layer.inputs; i++) sum += x[i] * k[i * layer.units + j]
        y.push(sum)
      }
      x = y
    } else if (layer.kind === 'batchNorm') {
      const g = (p: string) => t.get(`${layer.name}.${p}`)!
      x = x.map(
        (v, j) =>
          ((v - g('movingMean')[j]) / Math.sqrt(g('movingVariance')[j] + layer.epsilon)) *
            g('gamma')[j] +
          g('beta')[j],
      )
    } else if (layer.kind === 'activation') {
      const alpha = layer.alpha ?? 0
      const fn = {
        leakyRelu: (v: number) => (v < 0 ? alpha * v : v),
        relu: (v: number) => Math.max(0, v),
        tanh: Math.tanh,
        sigmoid: (v: number) => 1 / (1 + Math.exp(-v)),
        linear: (v: number) => v,
      }[layer.fn]
      x = x.map(fn)
    }
  }
  return x
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]))
  return worst
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
        // each folded weight and the folded bias carry one float32 rounding (2^-24 relative),
        // and the output one more
        let magnitude = Math.abs(
          (tensors.get('g.dense0.bias')![j] - g('movingMean')) * s + g('beta'),
        )
        for (let i = 0; i < 6; i++) magnitude += Math.abs(k[i * 16 + j] * s * z[i])
        const bound = 2 ** -24 * (magnitude + Math.abs(want[j])) * 1.01
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

  it('should pin the output bits of the tutorial MLP (fixed summation order)', () => {
    const { generator } = generatorFor(tutorialMlp(), 2026)
    const out = generator.run(sampleLatent(42, 100))
    const bytes = new Uint8Array(out.length * 4)
    out.forEach((v, i) => new DataView(bytes.buffer).setFloat32(i * 4, v, true))
    expect(bytesToHex(sha256(bytes))).toBe(
      'c7d038fcd1d9d6f27683e21705a1ad120f7d32873aef585a90b18cf115504218',
    )
  })

  it('should run models decoded from every dtype, close to the f32 model', () => {
    const model = tutorialMlp()
    const f32 = generatorFor(model, 4, 'f32').generator
    for (const [dtype, tolerance] of [
      ['f16', 0.01],
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

describe('toGray', () => {
  it('should map [-1, 1] to 0..255 with rounding and clamp everything else', () => {
    const x = new Float32Array([-1, 0, 1, -2, 2, NaN, -Infinity, Infinity, -0.996, 0.5, 1e-9])
    expect(Array.from(toGray(x))).toEqual([0, 128, 255, 0, 255, 0, 0, 255, 1, 191, 128])
  })

  it('should be monotonic over the whole range', () => {
    const x = Float32Array.from({ length: 2001 }, (_, i) => i / 1000 - 1)
    const g = toGray(x)
    expect(g[0]).toBe(0)
    expect(g[2000]).toBe(255)
    expect(g.every((v, i) => i === 0 || v >= g[i - 1])).toBe(true)
  })
})
