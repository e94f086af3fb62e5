/**
 * @module trainer/eval/scores
 * Sample-quality scores computed from classifier outputs and pixels:
 * - Inception Score with the MNIST classifier: `exp(E_x KL(p(y|x) ‖ p(y)))`, between 1 (every
 *   sample the same class, or every prediction unsure) and the number of classes (confident and
 *   balanced).
 * - Class histogram of argmax predictions, coverage (classes holding ≥ 5 % of samples) and the KL
 *   divergence of the histogram from uniform (0 when balanced, ln 10 ≈ 2.30 for one class).
 * - Memorization: the L2 pixel distance from each sample to its nearest training image, compared
 *   with the same distance for real test digits (which the generator never saw but which are
 *   as close to the training set as honest new digits get).
 */
import { tf } from '../core/tf'

/** Inputs that cannot be scored. */
export class ScoreError extends Error {
  override name = 'ScoreError'
}

function checkRows(values: ArrayLike<number>, count: number, width: number, what: string): void {
  if (!Number.isInteger(count) || count < 1 || values.length !== count * width) {
    throw new ScoreError(`Expected ${what} of ${count}×${width} values, but got ${values.length}.`)
  }
}

/**
 * Inception Score of `count` class-probability rows (`probs` is `[count, classes]`), over the whole
 * set as one split (the classic 10-split average is lower for small N and adds nothing here).
 * @example inceptionScore(probs, 10000) // ≈ 9.9 for real MNIST test digits
 */
export function inceptionScore(probs: ArrayLike<number>, count: number, classes = 10): number {
  checkRows(probs, count, classes, 'probabilities')
  const marginal = new Float64Array(classes)
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < classes; k++) marginal[k] += probs[i * classes + k]
  }
  for (let k = 0; k < classes; k++) marginal[k] /= count
  let kl = 0
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < classes; k++) {
      const p = probs[i * classes + k]
      // 0·log 0 = 0; p > 0 implies marginal[k] > 0.
      if (p > 0) kl += p * Math.log(p / marginal[k])
    }
  }
  return Math.exp(kl / count)
}

/** The argmax class of each probability (or logit) row. */
export function predictedClasses(
  probs: ArrayLike<number>,
  count: number,
  classes = 10,
): Uint8Array {
  checkRows(probs, count, classes, 'probabilities')
  const out = new Uint8Array(count)
  for (let i = 0; i < count; i++) {
    let best = 0
    for (let k = 1; k < classes; k++)
      if (probs[i * classes + k] > probs[i * classes + best]) best = k
    out[i] = best
  }
  return out
}

/** Fraction of samples per class (sums to 1). */
export function classHistogram(predicted: ArrayLike<number>, classes = 10): number[] {
  if (predicted.length === 0) throw new ScoreError('Expected at least one prediction, but got 0.')
  const counts = new Array<number>(classes).fill(0)
  for (let i = 0; i < predicted.length; i++) {
    const c = predicted[i]
    if (!Number.isInteger(c) || c < 0 || c >= classes) {
      throw new ScoreError(`Expected classes 0..${classes - 1}, but got ${c} at index ${i}.`)
    }
    counts[c]++
  }
  return counts.map((n) => n / predicted.length)
}

/** Number of classes that hold at least `threshold` of the samples. */
export function coverage(histogram: number[], threshold = 0.05): number {
  return histogram.filter((f) => f >= threshold).length
}

/** `KL(histogram ‖ uniform) = Σ h·ln(h·K)` in nats: 0 when balanced, ln K for one class. */
export function klFromUniform(histogram: number[]): number {
  const k = histogram.length
  let kl = 0
  for (const h of histogram) if (h > 0) kl += h * Math.log(h * k)
  return kl
}

/**
 * For each of `queries` (`[nq, dim]`), the L2 distance to its nearest row of `reference`
 * (`[nr, dim]`), on the current tf backend: ‖q − r‖² = ‖q‖² + ‖r‖² − 2·q·r with one matMul per
 * block of queries (f32; clamped at 0 where rounding makes it negative).
 * @example nearestNeighbourDistances(generated01, trainSubset01, 784) // Float32Array(nq)
 */
export async function nearestNeighbourDistances(
  queries: Float32Array,
  reference: Float32Array,
  dim: number,
  blockRows = 500,
): Promise<Float32Array> {
  if (queries.length % dim !== 0 || reference.length % dim !== 0 || reference.length === 0) {
    throw new ScoreError(
      `Expected row-major [n, ${dim}] queries and a non-empty reference, but got ${queries.length} and ${reference.length} values.`,
    )
  }
  const nq = queries.length / dim
  const nr = reference.length / dim
  const out = new Float32Array(nq)
  // The reference is transposed once so each block is a plain (not transposed-operand) matMul,
  // the fast path on the wasm backend.
  const [refT, refNorms] = tf.tidy(() => {
    const r = tf.tensor2d(reference, [nr, dim])
    return [tf.transpose(r), tf.reshape(tf.sum(tf.square(r), 1), [1, nr])]
  })
  try {
    for (let start = 0; start < nq; start += blockRows) {
      const rows = Math.min(blockRows, nq - start)
      const block = queries.subarray(start * dim, (start + rows) * dim)
      const d = tf.tidy(() => {
        const q = tf.tensor2d(block, [rows, dim])
        const qNorms = tf.sum(tf.square(q), 1)
        // [rows, nr]: ‖r‖² − 2·q·r, minimized over r, then ‖q‖² added back.
        const partial = tf.sub(refNorms, tf.mul(tf.matMul(q, refT), 2))
        return tf.sqrt(tf.relu(tf.add(tf.min(partial, 1), qNorms)))
      })
      out.set(await d.data(), start)
      d.dispose()
    }
  } finally {
    tf.dispose([refT, refNorms])
  }
  return out
}

/** The q-quantile (0..1) of values, by linear interpolation between order statistics. */
export function quantile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) throw new ScoreError('Expected at least one value, but got 0.')
  const sorted = Float64Array.from(values).sort()
  const pos = q * (sorted.length - 1)
  const lo = Math.floor(pos)
  const hi = Math.min(lo + 1, sorted.length - 1)
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo)
}

/** Nearest-training-image distances of generated samples against those of real test digits. */
export interface MemorizationReport {
  /** Smallest distance of any generated sample to a training image. */
  generatedMin: number
  generatedP01: number
  generatedMedian: number
  realMin: number
  /** 1st percentile of the real digits' distances: "as close as real digits typically get". */
  realP01: number
  realMedian: number
  /** Fraction of generated samples closer than `realP01`; ≈ 0.01 without memorization. */
  fractionBelowRealP01: number
}

/**
 * Compares the nearest-neighbour distances of generated samples with those of real held-out
 * digits. Copying training images shows up as `fractionBelowRealP01` well above 0.01 and a
 * `generatedMin` near 0.
 */
export function memorizationReport(
  generated: ArrayLike<number>,
  real: ArrayLike<number>,
): MemorizationReport {
  const realP01 = quantile(real, 0.01)
  let below = 0
  let generatedMin = Infinity
  for (let i = 0; i < generated.length; i++) {
    if (generated[i] < realP01) below++
    generatedMin = Math.min(generatedMin, generated[i])
  }
  let realMin = Infinity
  for (let i = 0; i < real.length; i++) realMin = Math.min(realMin, real[i])
  return {
    generatedMin,
    generatedP01: quantile(generated, 0.01),
    generatedMedian: quantile(generated, 0.5),
    realMin,
    realP01,
    realMedian: quantile(real, 0.5),
    fractionBelowRealP01: below / generated.length,
  }
}

/** How often a conditional generator draws the class it was asked for, judged by the classifier. */
export interface ConditionalAccuracy {
  /** Fraction of all samples whose predicted class is the requested one. */
  overall: number
  /** The same per requested class 0..classes−1 (NaN for a class never requested). */
  perClass: number[]
}

/**
 * Agreement between `requested` and `predicted` classes, overall and per requested class.
 * @example conditionalAccuracy([0, 1, 1], [0, 1, 0], 2) // { overall: 2/3, perClass: [1, 0.5] }
 */
export function conditionalAccuracy(
  requested: ArrayLike<number>,
  predicted: ArrayLike<number>,
  classes = 10,
): ConditionalAccuracy {
  if (requested.length !== predicted.length || requested.length === 0) {
    throw new RangeError(
      `Expected equal, non-empty label lists, but got ${requested.length} and ${predicted.length}.`,
    )
  }
  const hits = new Array<number>(classes).fill(0)
  const asked = new Array<number>(classes).fill(0)
  let total = 0
  for (let i = 0; i < requested.length; i++) {
    asked[requested[i]]++
    if (requested[i] === predicted[i]) {
      hits[requested[i]]++
      total++
    }
  }
  return {
    overall: total / requested.length,
    perClass: hits.map((h, k) => (asked[k] > 0 ? h / asked[k] : Number.NaN)),
  }
}
