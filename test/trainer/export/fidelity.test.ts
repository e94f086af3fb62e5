/**
 * @module test/trainer/export/fidelity
 * The export's dtype check: float32 against itself is exact; coarser storage moves more pixels.
 */
import { describe, expect, it } from 'vitest'
import { tutorialMlp } from '../../../shared/model/presets'
import { dtypeFidelity } from '../../../trainer/export/fidelity'
import { randomTensors } from '../../shared/helpers'

describe('trainer/export/fidelity', () => {
  const model = tutorialMlp()
  const tensors = randomTensors(model.generator, 5)

  it('should find no difference for f32 storage', () => {
    expect(dtypeFidelity(model, tensors, 'f32', 20)).toEqual({
      dtype: 'f32',
      seeds: 20,
      maxGreyLevels: 0,
      fractionDiffering: 0,
    })
  })

  it('should rank the dtypes by precision: f16, q14 ≤ q12 ≤ q8', () => {
    const f16 = dtypeFidelity(model, tensors, 'f16', 50)
    const q14 = dtypeFidelity(model, tensors, 'q14', 50)
    const q12 = dtypeFidelity(model, tensors, 'q12', 50)
    const q8 = dtypeFidelity(model, tensors, 'q8', 50)
    expect(f16.maxGreyLevels).toBeLessThanOrEqual(1)
    expect(f16.fractionDiffering).toBeLessThanOrEqual(q12.fractionDiffering)
    expect(q14.maxGreyLevels).toBeLessThanOrEqual(1)
    expect(q14.fractionDiffering).toBeLessThan(q12.fractionDiffering)
    expect(q12.fractionDiffering).toBeLessThan(q8.fractionDiffering)
    expect(q8.maxGreyLevels).toBeGreaterThan(q12.maxGreyLevels)
  })
})
