/**
 * @module web/train/export-model
 * A training state → the single-file model (`.dgm`, shared/model/model-file.ts) that
 * `npm start -- --model FILE` serves: what `npm run export -- --single-file` writes for a run
 * (trainer/export/export.ts), built from the step engine's named tensors with runtime-free code,
 * so the training page makes it in the browser and Node makes the same bytes from the same state.
 *
 * Same steps as the export command: G's weight average replaces its weights when the run kept one;
 * BatchNorm statistics are checked, re-estimated over `bnBatches` batches of 256 latents
 * (web/train/batch-norm.ts) and checked again; the payload is encoded in the chosen dtype,
 * compressed (`shuffle2-deflate`), its fidelity to float32 measured for a quantized dtype; the
 * manifest's `training` block records the same facts.
 *
 * Latents: row r of re-estimation batch b is `sampleLatent(mixSeed(seed, bnNoise, b, 0, r))`,
 * the convention of the fused engines (row-seeded, shared/latent/latent.ts), and its label (a
 * conditional G) `seedLabel(b·256 + r)` as the export command's. The command draws its latents with
 * tfjs instead, so its statistics (not its procedure) differ from these.
 */
import type { EngineState } from '../../engine/step-engine'
import { dtypeFidelity, type DtypeFidelity } from '../../shared/inference/fidelity'
import type { KernelModule } from '../../shared/inference/kernel'
import { seedLabel } from '../../shared/latent/condition'
import { sampleLatent, sampleLatents } from '../../shared/latent/latent'
import { mixSeed, SEED_PURPOSE } from '../../shared/latent/seed'
import { packModelFile } from '../../shared/model/model-file'
import { classCount, tensorSpecs, type ModelSpec } from '../../shared/model/spec'
import { sha256Hex } from '../../shared/codec/sha256'
import { encodeWeights, type Dtype, type Manifest } from '../../shared/model/weights'
import { batchNormCheck, reestimateBatchNorm, type GeneratorBatch } from './batch-norm'

/** Batch size of the re-estimation passes and of the check (trainer/export/export.ts BN_BATCH). */
export const BN_BATCH = 256

/** What an export needs. */
export interface ExportInput {
  model: ModelSpec
  state: EngineState
  dtype: Dtype
  /** Batches of 256 latents re-estimating BatchNorm (`--bn-batches`, default 50). */
  bnBatches: number
  /** The run's seed: it seeds the re-estimation latents. */
  seed: number
  /** Run facts for the manifest: steps, images seen, wall time, engine, config, knob changes… */
  training: Record<string, unknown>
  /** The compiled shared/inference/kernel.wasm, to run the checks faster (same bits without). */
  kernel?: KernelModule
}

/** The file and what it holds. */
export interface ExportedModel {
  bytes: Uint8Array<ArrayBuffer>
  manifest: Manifest
  /** sha256 of the whole file, lowercase hex. */
  sha256: string
}

/** The generator's tensors of `state`: its weight average in place of its weights when kept. */
export function generatorTensors(model: ModelSpec, state: EngineState): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>()
  for (const t of tensorSpecs(model.generator)) {
    const values = (t.trainable && state.tensors.get(`gAvg.${t.name}`)) || state.tensors.get(t.name)
    if (!values) throw new RangeError(`Expected the state to hold ${t.name}, but it does not.`)
    out.set(t.name, values)
  }
  return out
}

/**
 * Batch `b` of the re-estimation latents (see the module doc).
 * @example bnBatch(1337, 0, 100, 10).labels // Int32Array [0, 1, …, 9, 0, …]
 */
export function bnBatch(
  seed: number,
  b: number,
  latentDim: number,
  classes: number,
): GeneratorBatch {
  const z = new Float32Array(BN_BATCH * latentDim)
  for (let r = 0; r < BN_BATCH; r++) {
    z.set(sampleLatent(mixSeed(seed, SEED_PURPOSE.bnNoise, b, 0, r), latentDim), r * latentDim)
  }
  return { z, rows: BN_BATCH, labels: labelsFrom(b * BN_BATCH, classes) }
}

function labelsFrom(start: number, classes: number): Int32Array | undefined {
  if (classes === 0) return undefined
  return Int32Array.from({ length: BN_BATCH }, (_, r) => seedLabel(start + r, classes)!)
}

/**
 * Builds the `.dgm` of a training state (see the module doc). Deterministic: the same state and
 * options give the same payload in every JS engine; the manifest adds the `training` facts.
 * @throws WeightFormatError for non-finite weights (a diverged run), RangeError for a state that
 *   lacks a generator tensor.
 * @example
 * const { bytes, sha256 } = exportModelFile({ model, state, dtype: 'f32', bnBatches: 50, seed, training })
 */
export function exportModelFile(input: ExportInput): ExportedModel {
  const { model, dtype, bnBatches, seed, kernel } = input
  const classes = classCount(model.generator)
  const check: GeneratorBatch = {
    z: sampleLatents(0, BN_BATCH, model.latentDim),
    rows: BN_BATCH,
    labels: labelsFrom(0, classes),
  }
  const trained = generatorTensors(model, input.state)
  const before = batchNormCheck(model, trained, check, kernel)
  const tensors = reestimateBatchNorm(
    model.generator,
    trained,
    bnBatches,
    (b) => bnBatch(seed, b, model.latentDim, classes),
    kernel,
  )
  const after = batchNormCheck(model, tensors, check, kernel)
  const fidelity: DtypeFidelity | undefined =
    dtype === 'f32' ? undefined : dtypeFidelity(model, tensors, dtype, 1000, kernel)
  const { manifest, payload } = encodeWeights(model, tensors, {
    dtype,
    compress: true,
    training: {
      ...input.training,
      batchNorm: {
        estimate: `population over ${bnBatches} batches of ${BN_BATCH} latents`,
        trainVsInferenceMeanAbsDiff: after.meanAbsDiff,
        trainVsMovingStatisticsMeanAbsDiff: before.meanAbsDiff,
      },
      ...(fidelity ? { dtypeFidelity: fidelity } : {}),
    },
  })
  const bytes = packModelFile(manifest, payload)
  return { bytes, manifest, sha256: sha256Hex(bytes) }
}
