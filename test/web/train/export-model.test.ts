/**
 * @module test/web/train/export-model
 * The training page's export: a `.dgm` that validates like any other, holding G's weights (its
 * weight average when kept) with re-estimated BatchNorm statistics in the chosen dtype, with the
 * export command's `training` facts; the same bytes with and without the WebAssembly kernel.
 */
import { describe, expect, it } from 'vitest'
import type { EngineState } from '../../../engine/step-engine'
import { sha256Hex } from '../../../shared/codec/sha256'
import { decodeModelFile, splitModelFile } from '../../../shared/model/model-file'
import { tutorialMlp } from '../../../shared/model/presets'
import { tensorSpecs } from '../../../shared/model/spec'
import { encodeWeights } from '../../../shared/model/weights'
import { loadKernel } from '../../../trainer/kernel'
import { reestimateBatchNorm } from '../../../web/train/batch-norm'
import { bnBatch, exportModelFile, generatorTensors } from '../../../web/train/export-model'
import { randomTensors } from '../../shared/helpers'

const model = tutorialMlp()
const state: EngineState = {
  step: 12,
  optimizerSteps: { g: 12, d: 12 },
  tensors: randomTensors(model.generator, 3),
}

describe('web/train/export-model', () => {
  it('should write a valid .dgm of G with re-estimated BatchNorm statistics', () => {
    const out = exportModelFile({
      model,
      state,
      dtype: 'f32',
      bnBatches: 2,
      seed: 9,
      training: { steps: 12 },
      kernel: loadKernel(),
    })
    expect(sha256Hex(out.bytes)).toBe(out.sha256)
    const decoded = decodeModelFile(out.bytes)
    const expected = reestimateBatchNorm(model.generator, state.tensors, 2, (b) =>
      bnBatch(9, b, 100, 0),
    )
    const { payload } = encodeWeights(model, expected, { dtype: 'f32', compress: true })
    expect(splitModelFile(out.bytes).payload).toEqual(payload)
    expect(decoded.tensors.get('g.bn2.movingMean')).toEqual(expected.get('g.bn2.movingMean'))
    expect(decoded.tensors.get('g.bn2.movingMean')).not.toEqual(
      state.tensors.get('g.bn2.movingMean'),
    )
    const training = decoded.manifest.training as Record<string, Record<string, unknown>>
    expect(training.steps).toBe(12)
    expect(training.batchNorm.estimate).toBe('population over 2 batches of 256 latents')
    expect(training.batchNorm.trainVsInferenceMeanAbsDiff).toBeLessThan(
      training.batchNorm.trainVsMovingStatisticsMeanAbsDiff as number,
    )
    expect(training.dtypeFidelity).toBeUndefined()
  })

  it('should store the chosen dtype and measure its fidelity, with or without the kernel', () => {
    const input = { model, state, dtype: 'q14' as const, bnBatches: 1, seed: 9, training: {} }
    const js = exportModelFile(input)
    const wasm = exportModelFile({ ...input, kernel: loadKernel() })
    expect(decodeModelFile(js.bytes).manifest.dtype).toBe('q14')
    const fidelity = (js.manifest.training as Record<string, Record<string, number>>).dtypeFidelity
    expect(fidelity.seeds).toBe(1000)
    expect(fidelity.maxGreyLevels).toBeLessThanOrEqual(1)
    expect(wasm.manifest.payload.sha256).toBe(js.manifest.payload.sha256)
  })

  it("should take G's weight average when the state keeps one", () => {
    const averaged = new Map(state.tensors)
    for (const t of tensorSpecs(model.generator).filter((t) => t.trainable)) {
      averaged.set(
        `gAvg.${t.name}`,
        state.tensors.get(t.name)!.map((x) => x / 2),
      )
    }
    const tensors = generatorTensors(model, { ...state, tensors: averaged })
    expect(tensors.get('g.dense0.kernel')).toEqual(averaged.get('gAvg.g.dense0.kernel'))
    expect(tensors.get('g.bn1.movingMean')).toBe(state.tensors.get('g.bn1.movingMean'))
  })
})
