/**
 * @module trainer/export/fidelity
 * How far a stored dtype moves the served pixels (shared/inference/fidelity), measured on the
 * WebAssembly kernel loaded from disk: recorded in the manifest at every export
 * (`training.dtypeFidelity`).
 */
import type { ModelSpec } from '../../shared/model/spec'
import type { Dtype } from '../../shared/model/weights'
import { dtypeFidelity as measure, type DtypeFidelity } from '../../shared/inference/fidelity'
import { loadKernel } from '../kernel'

export type { DtypeFidelity }

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
  return measure(model, tensors, dtype, n, loadKernel())
}
