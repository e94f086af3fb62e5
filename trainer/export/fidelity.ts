/**
 * @module trainer/export/fidelity
 * How far a stored dtype moves the served pixels: the exported generator in its storage dtype vs
 * the same weights in float32, on the 8-bit pixels the edge serves, over seeds 0..n−1.
 * Measured at every export and recorded in the manifest (`training.dtypeFidelity`).
 */
import { seedLabel } from '../../shared/latent/condition'
import { createGenerator } from '../../shared/inference/forward'
import { sampleLatent } from '../../shared/latent/latent'
import type { ModelSpec } from '../../shared/model/spec'
import { decodeWeights, encodeWeights, type Dtype } from '../../shared/model/weights'
import { loadKernel } from '../kernel'

export interface DtypeFidelity {
  dtype: Dtype
  seeds: number
  /** Largest |Δ| of any pixel, in grey levels of 255. */
  maxGreyLevels: number
  /** Share of pixels that differ at all. */
  fractionDiffering: number
}

/**
 * Compares `dtype` storage with float32 on `n` seeds.
 * @example dtypeFidelity(model, tensors, 'f16') // { maxGreyLevels: 1, fractionDiffering: 0.007, … }
 */
export function dtypeFidelity(
  model: ModelSpec,
  tensors: Map<string, Float32Array>,
  dtype: Dtype,
  n = 1000,
): DtypeFidelity {
  const build = (d: Dtype) => {
    const { manifest, payload } = encodeWeights(model, tensors, { dtype: d })
    return createGenerator(decodeWeights(manifest, payload), { kernel: loadKernel() })
  }
  const reference = build('f32')
  const stored = build(dtype)
  let maxGreyLevels = 0
  let differing = 0
  for (let seed = 0; seed < n; seed++) {
    const z = sampleLatent(seed, model.latentDim)
    const label = seedLabel(seed, reference.classes)
    const a = reference.runGray(z, label)
    const b = stored.runGray(z, label)
    for (let i = 0; i < a.length; i++) {
      const d = Math.abs(a[i] - b[i])
      if (d > 0) differing++
      if (d > maxGreyLevels) maxGreyLevels = d
    }
  }
  return { dtype, seeds: n, maxGreyLevels, fractionDiffering: differing / (n * reference.outputSize) }
}
