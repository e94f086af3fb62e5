/**
 * @module test/trainer/eval/classifier
 * The evaluation CNN: its hand-written gradients against finite differences, a training step
 * that learns and leaks nothing, the weight file round trip, and the shipped weights' accuracy.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ClassifierError,
  classifierGradients,
  classifierTensorShapes,
  classifyImages,
  createClassifier,
  DEFAULT_CLASSIFIER_SPEC,
  disposeClassifier,
  grayToInput,
  type Classifier,
} from '../../../trainer/eval/classifier'
import { loadClassifier, saveClassifier } from '../../../trainer/eval/classifier-file'
import { loadMnist } from '../../../trainer/run/data'
import { Adam } from '../../../trainer/core/adam'
import { predictedClasses } from '../../../trainer/eval/scores'
import { initBackend } from '../../../trainer/core/backend'
import { tf } from '../../../trainer/core/tf'
import { accuracy, trainStep } from '../../../trainer/eval/train-classifier'

const TINY = { ...DEFAULT_CLASSIFIER_SPEC, conv1: 4, conv2: 6, features: 8 }
const test = loadMnist('test')

function batch(start: number, n: number): { images: Float32Array; labels: Int32Array } {
  return {
    images: grayToInput(test.images.subarray(start * 784, (start + n) * 784)),
    labels: Int32Array.from(test.labels.subarray(start, start + n)),
  }
}

function lossOf(c: Classifier, x: tf.Tensor4D, y: tf.Tensor1D): number {
  return tf.tidy(() => classifierGradients(c, x, y).loss.dataSync()[0])
}

beforeAll(async () => {
  await initBackend('wasm')
})

describe('classifierGradients', () => {
  it('should match central finite differences', () => {
    const c = createClassifier(TINY, 3)
    const { images, labels } = batch(0, 3)
    const x = tf.tensor4d(images, [3, 28, 28, 1])
    const y = tf.tensor1d(labels, 'int32')
    const grads = tf.tidy(() => Object.fromEntries(classifierGradients(c, x, y).grads))
    for (const [name, g] of Object.entries(grads)) {
      const gv = g.dataSync()
      const w = c.params.get(name) as tf.Variable
      const wv = w.dataSync().slice()
      // The three largest components; ReLU kinks may spoil one, so two of three must agree.
      const top = [...gv.keys()].sort((a, b) => Math.abs(gv[b]) - Math.abs(gv[a])).slice(0, 3)
      let agree = 0
      for (const i of top) {
        const eps = 1e-3
        const shifted = (delta: number): number => {
          const v = wv.slice()
          v[i] += delta
          tf.tidy(() => w.assign(tf.tensor(v, w.shape)))
          return lossOf(c, x, y)
        }
        const numeric = (shifted(eps) - shifted(-eps)) / (2 * eps)
        if (Math.abs(numeric - gv[i]) <= 0.05 * Math.abs(gv[i]) + 1e-4) agree++
      }
      tf.tidy(() => w.assign(tf.tensor(wv, w.shape)))
      expect(agree, name).toBeGreaterThanOrEqual(2)
    }
    tf.dispose([x, y, ...Object.values(grads)])
    disposeClassifier(c)
  })
})

describe('trainStep', () => {
  it('should lower the loss on a batch and leave no tensors behind', () => {
    const c = createClassifier(DEFAULT_CLASSIFIER_SPEC, 1)
    const variables = classifierTensorShapes(c.spec).map(
      ({ name }) => c.params.get(name) as tf.Variable,
    )
    const adam = new Adam(variables, { lr: 1e-3, beta1: 0.9, beta2: 0.999 })
    const { images, labels } = batch(100, 32)
    const first = trainStep(c, adam, images, labels, 1e-3)
    const before = tf.memory().numTensors
    let last = first
    for (let i = 0; i < 15; i++) last = trainStep(c, adam, images, labels, 1e-3)
    expect(tf.memory().numTensors).toBe(before)
    expect(last.loss).toBeLessThan(first.loss / 2)
    adam.dispose()
    disposeClassifier(c)
  })
})

describe('saveClassifier / loadClassifier', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'classifier-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('should round-trip every parameter exactly', async () => {
    const c = createClassifier(TINY, 5)
    const manifest = await saveClassifier(dir, c, { note: 'test' })
    expect(manifest.training).toEqual({ note: 'test' })
    const loaded = loadClassifier(dir)
    expect(loaded.spec).toEqual(TINY)
    for (const { name } of classifierTensorShapes(TINY)) {
      expect(loaded.params.get(name)!.dataSync()).toEqual(c.params.get(name)!.dataSync())
    }
    disposeClassifier(c)
    disposeClassifier(loaded)
  })

  it('should refuse a payload that does not match its checksum', () => {
    writeFileSync(join(dir, 'weights.bin'), new Uint8Array(16))
    expect(() => loadClassifier(dir)).toThrow(ClassifierError)
    expect(() => loadClassifier(dir)).toThrow(/Expected sha256 [0-9a-f]{64} for .*weights.bin/)
  })

  it('should name the missing file and how to create it', () => {
    expect(() => loadClassifier(join(dir, 'nope'))).toThrow(
      /manifest.json.*npm run train:classifier/,
    )
  })
})

describe('the shipped classifier (models/classifier)', () => {
  it('should be ≥ 99% accurate on the whole MNIST test set, as its manifest records', async () => {
    const c = loadClassifier()
    expect(c.manifest.training?.testAccuracy).toBeGreaterThanOrEqual(0.99)
    // All 10 000: the first half of MNIST test is harder (≈ 98.7 % vs 99.6 %), so no prefix will do.
    expect(await accuracy(c, test)).toBeGreaterThanOrEqual(0.99)
    disposeClassifier(c)
  })

  it('should give features after ReLU and probabilities that sum to 1', async () => {
    const c = loadClassifier()
    const { features, probs } = await classifyImages(
      c,
      grayToInput(test.images.subarray(0, 20 * 784)),
      20,
    )
    expect(features.length).toBe(20 * 128)
    expect(Math.min(...features)).toBeGreaterThanOrEqual(0)
    for (let i = 0; i < 20; i++) {
      expect(probs.subarray(i * 10, i * 10 + 10).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5)
    }
    expect([...predictedClasses(probs, 20)]).toEqual([...test.labels.subarray(0, 20)])
    disposeClassifier(c)
  })
})
