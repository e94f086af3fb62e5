/**
 * @module trainer/export/export
 * Turns a trained GAN into the run's deliverables: `generator/` (the artifact the edge serves),
 * `generator.onnx`, `losses.svg` (the loss chart, shared/render/loss-chart), and with
 * `--single-file` also `generator.dgm`, the same model
 * as one file (shared/model/model-file).
 *
 * BatchNorm statistics: the edge runs BN in inference mode (that is what makes a seed
 * deterministic), so the moving statistics must be good population estimates. The moving
 * average kept during training (Keras momentum 0.8, i.e. roughly the last 5 batches of 64, from
 * weights that were still changing) is not; export re-estimates them as the exact average over
 * `bnBatches` batches of 256 fresh latents with the final weights, and records how close
 * inference-mode samples then are to training-mode ones (mean absolute pixel difference on the
 * same 256 latents, pixels in [-1, 1]).
 *
 * Also a command, re-exporting a run from its checkpoint (e.g. with another dtype):
 *   npm run export -- --run runs/smoke [--dtype q8] [--bn-batches 50] [--backend wasm]
 *     [--single-file]
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { DTYPES, type Dtype, type Manifest } from '../../shared/model/weights'
import { sampleLatents } from '../../shared/latent/latent'
import { renderLossChart, type LossPoint } from '../../shared/render/loss-chart'
import { writeArtifact, writeModelFile } from './artifact'
import { loadCheckpoint, restoreGan } from '../run/checkpoint'
import {
  assertWritableDir,
  parseChoice,
  parseNumber,
  runMain,
  UsageError,
  writeFileAtomic,
} from '../cli'
import { isEntry } from '../entry'
import { parseFlags, type FlagTable } from '../flags'
import { DEFAULT_CONFIG, type TrainConfig } from '../config'
import { createGan, disposeGan, labelRows, seedLabels, type Gan } from '../core/gan'
import { loadAverage } from '../core/ema'
import { forward, readTensors } from '../core/models'
import { dtypeFidelity, type DtypeFidelity } from './fidelity'
import { exportOnnx } from './onnx'
import { mixSeed, SEED_PURPOSE } from '../../shared/latent/seed'
import { BACKENDS, initBackend } from '../core/backend'
import { tf } from '../core/tf'

/** Batch size of the BatchNorm re-estimation passes. */
export const BN_BATCH = 256

/** Run facts recorded in the manifest's `training` block. */
export interface RunInfo {
  config: TrainConfig
  backend: string
  steps: number
  wallTimeSec: number
  imagesSeen: number
}

/** How far inference-mode output is from training-mode output on the same latents. */
export interface BatchNormCheck {
  /** Mean |train − inference| per pixel, pixels in [-1, 1]. */
  meanAbsDiff: number
  maxAbsDiff: number
}

/**
 * Replaces G's moving BN statistics by population estimates over `batches` batches of
 * `batchSize` latents: mean = average of batch means, variance = E[x²] − mean² over all samples
 * (exact for equal batch sizes), each layer seeing upstream layers in training mode as in training.
 */
export async function reestimateBatchNorm(
  gan: Gan,
  batches: number,
  batchSize = BN_BATCH,
  seed = gan.options.seed,
): Promise<void> {
  const sums = new Map<string, { mean: Float64Array; square: Float64Array }>()
  for (let b = 0; b < batches; b++) {
    const stats: { layer: string; mean: tf.Tensor; variance: tf.Tensor }[] = []
    tf.tidy(() => {
      const z = tf.randomNormal(
        [batchSize, gan.model.latentDim],
        0,
        1,
        'float32',
        mixSeed(seed, SEED_PURPOSE.bnNoise, b),
      )
      forward(gan.g, z as tf.Tensor2D, {
        training: true,
        labels: labelRows(gan, seedLabels(b * batchSize, batchSize, gan.classes)),
        onBatchStats: (layer, mean, variance) =>
          stats.push({ layer, mean: tf.keep(mean), variance: tf.keep(variance) }),
      })
    })
    for (const { layer, mean, variance } of stats) {
      const m = await mean.data()
      const v = await variance.data()
      let s = sums.get(layer)
      if (!s)
        sums.set(
          layer,
          (s = { mean: new Float64Array(m.length), square: new Float64Array(m.length) }),
        )
      for (let i = 0; i < m.length; i++) {
        s.mean[i] += m[i]
        s.square[i] += v[i] + m[i] * m[i]
      }
    }
    tf.dispose(stats.flatMap((s) => [s.mean, s.variance]))
  }
  for (const [layer, s] of sums) {
    const mean = Float32Array.from(s.mean, (x) => x / batches)
    const variance = Float32Array.from(s.square, (x, i) =>
      Math.max(0, x / batches - mean[i] * mean[i]),
    )
    tf.tidy(() => {
      gan.g.vars.get(`${layer}.movingMean`)!.assign(tf.tensor1d(mean))
      gan.g.vars.get(`${layer}.movingVariance`)!.assign(tf.tensor1d(variance))
    })
  }
}

/** Compares G in training mode (batch stats) and inference mode on latents 0..n−1 of shared/latent/latent. */
export async function batchNormCheck(gan: Gan, n = BN_BATCH): Promise<BatchNormCheck> {
  const [mean, max] = tf.tidy(() => {
    const z = tf.tensor2d(sampleLatents(0, n, gan.model.latentDim), [n, gan.model.latentDim])
    const labels = labelRows(gan, seedLabels(0, n, gan.classes))
    const diff = tf.abs(
      tf.sub(
        forward(gan.g, z, { training: true, labels }),
        forward(gan.g, z, { training: false, labels }),
      ),
    )
    return [tf.mean(diff), tf.max(diff)]
  })
  const result = { meanAbsDiff: (await mean.data())[0], maxAbsDiff: (await max.data())[0] }
  tf.dispose([mean, max])
  return result
}

/** Reads `metrics.jsonl` back as chart points (missing file: none). */
export function readMetrics(runDir: string): LossPoint[] {
  const path = join(runDir, 'metrics.jsonl')
  if (!existsSync(path)) return []
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LossPoint)
}

/** The single-file model `exportRun` writes beside `generator/` when asked. */
export const MODEL_FILE = 'generator.dgm'

/** What `exportRun` wrote and measured. */
export interface ExportResult {
  manifest: Manifest
  bnBefore: BatchNormCheck
  bnAfter: BatchNormCheck
  /** Pixels of the stored dtype vs float32 (absent for f32). */
  fidelity?: DtypeFidelity
}

/**
 * Re-estimates BN statistics, then writes `generator/`, `generator.onnx` and `losses.svg` into
 * `runDir` (and `generator.dgm` with `singleFile`). With a weight average (`--ema`), G's weights
 * are first replaced by the average, and the statistics re-estimated for those. Mutates G
 * (checkpoint first if training continues).
 */
export async function exportRun(
  runDir: string,
  gan: Gan,
  info: RunInfo,
  dtype: Dtype = info.config.dtype,
  { singleFile = false }: { singleFile?: boolean } = {},
): Promise<ExportResult> {
  if (gan.gAverage) loadAverage(gan.gAverage, gan.g)
  const bnBefore = await batchNormCheck(gan)
  await reestimateBatchNorm(gan, info.config.bnBatches)
  const bnAfter = await batchNormCheck(gan)
  const tensors = await readTensors(gan.g)
  const fidelity = dtype === 'f32' ? undefined : dtypeFidelity(gan.model, tensors, dtype)
  const manifest = writeArtifact(join(runDir, 'generator'), {
    model: gan.model,
    tensors,
    dtype,
    training: {
      steps: info.steps,
      imagesSeen: info.imagesSeen,
      wallTimeSec: Math.round(info.wallTimeSec * 10) / 10,
      backend: info.backend,
      createdAt: new Date().toISOString(),
      config: { ...info.config },
      batchNorm: {
        estimate: `population over ${info.config.bnBatches} batches of ${BN_BATCH} latents`,
        // How far inference mode lands from training mode's batch statistics: with the exported
        // population statistics, and with the moving statistics training kept (what the
        // re-estimation replaced; the old key said "WithEma", but both use the exported weights).
        trainVsInferenceMeanAbsDiff: bnAfter.meanAbsDiff,
        trainVsMovingStatisticsMeanAbsDiff: bnBefore.meanAbsDiff,
      },
      ...(fidelity ? { dtypeFidelity: fidelity } : {}),
    },
  })
  // Packed from the folder just written, so the one file is byte for byte the same model.
  if (singleFile) writeModelFile(join(runDir, 'generator'), join(runDir, MODEL_FILE))
  writeFileAtomic(join(runDir, 'generator.onnx'), exportOnnx(gan.model, tensors))
  writeFileAtomic(join(runDir, 'losses.svg'), renderLossChart(readMetrics(runDir)))
  return { manifest, bnBefore, bnAfter, fidelity }
}

/** `npm run export`'s flags: the same table parses them and prints `--help`. */
export const EXPORT_FLAGS = {
  run: { value: 'DIR', required: true, description: 'training run folder (its checkpoint/)' },
  dtype: {
    value: DTYPES.join('|'),
    shownDefault: "the run's --dtype",
    description: "storage of the exported generator's kernels",
  },
  bnBatches: {
    value: 'N',
    shownDefault: "the run's --bn-batches",
    description: 'batches of 256 latents re-estimating BatchNorm',
  },
  backend: { value: BACKENDS.join('|'), default: 'auto', description: 'tfjs backend' },
  singleFile: {
    type: 'boolean',
    description: 'also write generator.dgm, the same model in one file',
  },
} as const satisfies FlagTable

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), EXPORT_FLAGS, {
    usage: 'npm run export -- --run DIR [flags]',
    summary: 'Re-exports a run from its checkpoint: generator/, generator.onnx and losses.svg.',
  })
  const runDir = flags.run
  if (!runDir) throw new UsageError('Expected --run DIR (a training run folder), but got none.')
  const dtype = flags.dtype === undefined ? undefined : parseChoice('dtype', flags.dtype, DTYPES)
  const backend = parseChoice('backend', flags.backend ?? EXPORT_FLAGS.backend.default, BACKENDS)
  const bnBatches =
    flags.bnBatches === undefined
      ? undefined
      : parseNumber('bn-batches', flags.bnBatches, { min: 1, integer: true })
  const checkpoint = loadCheckpoint(runDir)
  assertWritableDir('run', runDir)
  const config = { ...DEFAULT_CONFIG, ...checkpoint.meta.config } // older runs lack newer keys
  if (bnBatches !== undefined) config.bnBatches = bnBatches
  const choice = await initBackend(backend)
  const gan = createGan(config, checkpoint.model)
  restoreGan(gan, checkpoint)
  const { meta } = checkpoint
  const result = await exportRun(
    runDir,
    gan,
    { ...meta, config, steps: meta.step },
    dtype ?? config.dtype,
    { singleFile: flags.singleFile === true },
  )
  console.log(
    `exported ${join(runDir, 'generator')} (${result.manifest.dtype}, step ${meta.step}, backend ${choice.backend}); ` +
      `BN train-vs-inference mean |Δ| ${result.bnAfter.meanAbsDiff.toFixed(4)} ` +
      `(with the moving statistics from training ${result.bnBefore.meanAbsDiff.toFixed(4)})`,
  )
  if (flags.singleFile) console.log(`wrote ${join(runDir, MODEL_FILE)}: the same model, one file`)
  const f = result.fidelity
  if (f) {
    console.log(
      `${f.dtype} vs f32 on seeds 0..${f.seeds - 1}: max ${f.maxGreyLevels} grey levels, ` +
        `${(100 * f.fractionDiffering).toFixed(2)}% of pixels differ`,
    )
  }
  disposeGan(gan)
}

if (isEntry(import.meta.url, 'export')) runMain(main)
