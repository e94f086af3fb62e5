import { describe, expect, it } from 'vitest'
import { detTanh } from '../../../shared/math/detmath'
import { createGenerator } from '../../../shared/inference/forward'
import { grayLevel, tanhToGray, TANH_SATURATED, toGray } from '../../../shared/inference/gray'
import { sampleLatent } from '../../../shared/latent/latent'
import { type ModelSpec } from '../../../shared/model/spec'
import { tutorialMlp } from '../../../shared/model/presets'
import { decodeWeights, encodeWeights, type Dtype } from '../../../shared/model/weights'
import { loadKernel } from '../../../trainer/kernel'
import { randomTensors, smallSpec } from '../helpers'

/** What the forward pass stores for a tanh output, as grey: the reference `tanhToGray` skips. */
const exact = (a: number) => grayLevel(Math.fround(detTanh(a)))

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

describe('tanhToGray', () => {
  it('should find every float32 from ±3.2 to ±22 saturated (0 or 255), exhaustively', () => {
    // Walk the float32 bit patterns of [3.2, 22]; detTanh is odd by construction (it computes
    // |a| and restores the sign), so −a gives −tanh(a), checked separately all the same.
    const f = new Float32Array(1)
    const bits = new Uint32Array(f.buffer)
    f[0] = TANH_SATURATED
    const from = bits[0]
    f[0] = 22
    const to = bits[0]
    let unsaturated = 0
    for (let b = from; b <= to; b++) {
      bits[0] = b
      const a = f[0]
      if (exact(a) !== 255 || exact(-a) !== 0) unsaturated++
    }
    expect(to - from).toBeGreaterThan(20_000_000)
    expect(unsaturated).toBe(0)
    // Past ±22 detTanh is ±1 by its own definition.
    expect([detTanh(22), detTanh(1e30), detTanh(-22)]).toEqual([1, 1, -1])
  })

  it('should equal toGray of the float32 tanh below saturation and at special values', () => {
    const special = [0, -0, NaN, Infinity, -Infinity, 1e-45, -1e-45, 3.2, -3.2, 3.1, -3.1, 22]
    // ±4 in steps of 4e-5
    const sweep = Array.from({ length: 200_001 }, (_, i) => (i - 100_000) * 4e-5)
    const a = Float32Array.from([...special, ...sweep])
    const reference = Uint8Array.from(a, exact)
    expect(tanhToGray(a, a.length)).toEqual(reference)
    // and the boundary levels really occur in the sweep, so both shortcuts are exercised
    expect(reference.includes(0) && reference.includes(255) && reference.includes(128)).toBe(true)
  })
})

describe('Generator.runGray', () => {
  function generators(model: ModelSpec, dtype: Dtype) {
    const tensors = randomTensors(model.generator, 21)
    const { manifest, payload } = encodeWeights(model, tensors, { dtype })
    const weights = decodeWeights(JSON.parse(JSON.stringify(manifest)), payload)
    return [createGenerator(weights), createGenerator(weights, { kernel: loadKernel() })]
  }

  it('should be toGray(run()) bit for bit, tanh output (shortcut) or not', () => {
    // The tutorial MLP ends in tanh; smallSpec ends in sigmoid (no shortcut).
    for (const model of [tutorialMlp(), smallSpec()]) {
      for (const dtype of ['f32', 'q15'] as const) {
        for (const g of generators(model, dtype)) {
          for (let seed = 0; seed < 40; seed++) {
            const z = sampleLatent(seed, model.latentDim)
            // 1 + seed/4 spreads the outputs over the whole tanh range, saturated or not
            for (let i = 0; i < z.length; i++) z[i] *= 1 + seed / 4
            expect(g.runGray(z), `${model.name} ${dtype} ${seed}`).toEqual(toGray(g.run(z)))
          }
        }
      }
    }
  })
})
