/**
 * @module shared/inference/fidelity
 * How far a stored dtype moves the served pixels: a generator in its storage dtype vs the same
 * weights in float32, on the 8-bit pixels the edge serves, over seeds 0..n−1. Every export
 * measures it and records it in the manifest (`training.dtypeFidelity`): `npm run export`
 * (trainer/export/fidelity.ts) and the browser training page (web/train/export-model.ts), so
 * runtime-free.
 */
import { seedLabel } from '../latent/condition'
import { sampleLatent } from '../latent/latent'
import type { ModelSpec } from '../model/spec'
import { decodeWeights, encodeWeights, type Dtype } from '../model/weights'
import { createGenerator } from './forward'
import type { KernelModule } from './kernel'

export interface DtypeFidelity {
  dtype: Dtype
  seeds: number
  /** Largest |Δ| of any pixel, in grey levels of 255. */
  maxGreyLevels: number
  /** Share of pixels that differ at all. */
  fractionDiffering: number
}

/**
 * Compares `dtype` storage with float32 on `n` seeds, on the WebAssembly `kernel` when given (the
 * same bits either way, shared/inference/forward).
 * @example dtypeFidelity(model, tensors, 'f16') // { maxGreyLevels: 1, fractionDiffering: 0.007, … }
 */
export function dtypeFidelity(
  model: ModelSpec,
  tensors: Map<string, Float32Array>,
  dtype: Dtype,
  n = 1000,
  kernel?: KernelModule,
): DtypeFidelity {
  const build = (d: Dtype) => {
    const { manifest, payload } = encodeWeights(model, tensors, { dtype: d })
    return createGenerator(decodeWeights(manifest, payload), { kernel })
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
  return {
    dtype,
    seeds: n,
    maxGreyLevels,
    fractionDiffering: differing / (n * reference.outputSize),
  }
}
