/**
 * @module test/shared/inference/conv-forward
 * The engine on conv generators (shared/inference/compile, shared/inference/float32-ops, shared/inference/kernel.wat `conv`):
 * against a naive float64 reference written from the layer definitions alone, bit for bit between
 * the WebAssembly kernel and JS, and pinned output bits.
 */
import { sha256Hex } from '../../../shared/codec/sha256'
import { describe, expect, it } from 'vitest'
import { createGenerator } from '../../../shared/inference/forward'
import { sampleLatent } from '../../../shared/latent/latent'
import { type ModelSpec } from '../../../shared/model/spec'
import { dcgan } from '../../../shared/model/presets'
import { decodeWeights, encodeWeights } from '../../../shared/model/weights'
import { loadKernel } from '../../../trainer/kernel'
import { convSpec, randomTensors } from '../helpers'
import { maxAbsDiff, naiveForward } from './naive-forward'

function engines(model: ModelSpec, seed: number) {
  const tensors = randomTensors(model.generator, seed)
  const { manifest, payload } = encodeWeights(model, tensors, { dtype: 'f32' })
  const weights = decodeWeights(JSON.parse(JSON.stringify(manifest)), payload)
  return {
    tensors,
    js: createGenerator(weights),
    wasm: createGenerator(weights, { kernel: loadKernel() }),
  }
}

const MODELS: [string, () => ModelSpec][] = [
  ['dcgan', () => dcgan()],
  ['cdcgan', () => dcgan({ classes: 10 })],
  ['every conv geometry', convSpec],
]

describe('createGenerator on conv models', () => {
  it.each(MODELS)('should match a naive float64 forward pass within 1e-5 (%s)', (_, spec) => {
    const model = spec()
    const { tensors, js, wasm } = engines(model, 5)
    const labels = js.classes
    for (let seed = 0; seed < 4; seed++) {
      const z = sampleLatent(seed, model.latentDim)
      const label = labels > 0 ? seed % labels : undefined
      const want = naiveForward(model, tensors, z, label)
      expect(want.length).toBe(js.outputSize)
      expect(maxAbsDiff(js.run(z, label), want)).toBeLessThan(1e-5)
      expect(maxAbsDiff(wasm.run(z, label), want)).toBeLessThan(1e-5)
    }
  })

  it.each(MODELS)('should give bit-identical outputs on the kernel and in JS (%s)', (_, spec) => {
    const model = spec()
    const { js, wasm } = engines(model, 11)
    // Latents scaled by 1e-20 and 1e20 add subnormal products and overflow to ±Infinity and NaN.
    for (let seed = 0; seed < 30; seed++) {
      const z = sampleLatent(seed, model.latentDim)
      const scale = seed % 10 === 1 ? 1e-20 : seed % 10 === 2 ? 1e20 : 1 + seed / 30
      for (let i = 0; i < z.length; i++) z[i] *= scale
      const label = js.classes > 0 ? seed % js.classes : undefined
      const a = js.run(z, label)
      const b = wasm.run(z, label)
      // Object.is: bitwise for numbers (−0 ≠ +0) except that any NaN equals any NaN
      const same = a.length === b.length && a.every((v, i) => Object.is(v, b[i]))
      expect(same, `${model.name} seed ${seed}`).toBe(true)
    }
  })

  it('should pin the output bits of the dcgan generator (float32, fixed summation order)', () => {
    // Explicit widths, so that the pin does not move with the preset's defaults.
    const { js, wasm } = engines(dcgan({ gChannels: [64, 32], dChannels: [32, 64] }), 2026)
    for (const g of [js, wasm]) {
      const out = g.run(sampleLatent(42, 100))
      const bytes = new Uint8Array(out.length * 4)
      out.forEach((v, i) => new DataView(bytes.buffer).setFloat32(i * 4, v, true))
      expect(sha256Hex(bytes)).toBe(
        'fa56c1c30a75781f51199b27176ec349040bc855f73487023311e1d52f8f7182',
      )
    }
  })

  it('should copy values exactly through reshape, upsample and flatten (row-major h, w, c)', () => {
    // z(4) → identity dense → [1, 2, 2] map → 2× nearest → flatten: [a a b b; a a b b] per channel.
    const model: ModelSpec = {
      name: 'copy',
      latentDim: 4,
      imageShape: [2, 4, 2],
      generator: {
        inputs: 4,
        layers: [
          { kind: 'dense', name: 'g.id', inputs: 4, units: 4 },
          { kind: 'reshape', shape: [1, 2, 2] },
          { kind: 'upsample', factor: 2 },
          { kind: 'flatten' },
        ],
      },
      discriminator: { inputs: 16, layers: [{ kind: 'dense', name: 'd', inputs: 16, units: 1 }] },
    }
    const kernel = new Float32Array(16)
    for (let i = 0; i < 4; i++) kernel[i * 4 + i] = 1
    const tensors = new Map([
      ['g.id.kernel', kernel],
      ['g.id.bias', new Float32Array(4)],
    ])
    const { manifest, payload } = encodeWeights(model, tensors, { dtype: 'f32' })
    const z = new Float32Array([1.5, -2, 3.25, 7])
    // pixels (x, c): (0, 0)=1.5 (0, 1)=−2 (1, 0)=3.25 (1, 1)=7
    const row = [1.5, -2, 1.5, -2, 3.25, 7, 3.25, 7]
    for (const kernelModule of [undefined, loadKernel()]) {
      const g = createGenerator(decodeWeights(manifest, payload), { kernel: kernelModule })
      expect(Array.from(g.run(z))).toEqual([...row, ...row])
    }
  })
})
