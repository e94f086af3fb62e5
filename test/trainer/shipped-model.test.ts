/**
 * @module test/trainer/shipped-model
 * The shipped default model draws the digit it is asked for: 50 samples per digit (seeds 0..49,
 * `digit=d`, the edge's code path), judged by the shipped classifier. The full measurement is
 * `npm run eval -- --model models/default` (10 000 samples, 99 % agreement).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGenerator } from '../../shared/inference/forward'
import { toGray } from '../../shared/inference/gray'
import { readArtifact } from '../../trainer/export/artifact'
import {
  classifyImages,
  disposeClassifier,
  grayToInput,
  type Classifier,
} from '../../trainer/eval/classifier'
import { loadClassifier } from '../../trainer/eval/classifier-file'
import { loadKernel } from '../../trainer/kernel'
import { sampleImages } from '../../trainer/sample'
import { conditionalAccuracy, predictedClasses } from '../../trainer/eval/scores'
import { initBackend } from '../../trainer/core/backend'

const PER_DIGIT = 50

let classifier: Classifier

beforeAll(async () => {
  await initBackend('wasm')
  classifier = loadClassifier()
})
afterAll(() => disposeClassifier(classifier))

describe('models/default', () => {
  it('should be conditional and draw each requested digit', async () => {
    const generator = createGenerator(readArtifact('models/default'), { kernel: loadKernel() })
    expect(generator.classes).toBe(10)
    const n = 10 * PER_DIGIT
    const gray = new Uint8Array(n * 784)
    const requested: number[] = []
    for (let digit = 0; digit < 10; digit++) {
      const images = sampleImages(generator, 0, PER_DIGIT, digit)
      for (let i = 0; i < PER_DIGIT; i++) {
        const at = digit * PER_DIGIT + i
        gray.set(toGray(images.subarray(i * 784, (i + 1) * 784)), at * 784)
        requested.push(digit)
      }
    }
    const { probs } = await classifyImages(classifier, grayToInput(gray), n)
    const accuracy = conditionalAccuracy(requested, predictedClasses(probs, n, 10), 10)
    console.log(
      `requested digit drawn: ${(100 * accuracy.overall).toFixed(1)}% of ${n}; per digit ` +
        accuracy.perClass.map((a) => (100 * a).toFixed(0)).join(' '),
    )
    expect(accuracy.overall).toBeGreaterThanOrEqual(0.95)
    // 50 samples per digit: at the measured ≥ 98 %, fewer than 45 right is very unlikely.
    for (const a of accuracy.perClass) expect(a).toBeGreaterThanOrEqual(0.9)
  })
})
