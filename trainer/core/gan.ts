/**
 * @module trainer/core/gan
 * The GAN: both networks, their optimizers, and one training step for each.
 *
 * `discriminatorStep` and `generatorStep` are exported, tested, and return plain-number losses; the
 * loop in trainer/train.ts only sequences them. Every random draw is seeded from
 * `(seed, purpose, step, k)` (shared/latent/seed.ts), so a step computes the same numbers whether or not
 * the process restarted before it.
 *
 * BatchNorm during training (PyTorch-GAN's behaviour): G always runs with batch statistics, also
 * when it makes fakes for D; the moving statistics are updated once per generator step, from the
 * batch that step trained on.
 *
 * Conditional models (a `condition` layer): D sees each real image with its true label and each
 * fake with the label G drew it for; fake labels are uniform over the classes, seeded like the
 * latents.
 */
import { seedLabel } from '../../shared/latent/condition'
import { Xoshiro128 } from '../../shared/latent/rng'
import { classCount, type ModelSpec } from '../../shared/model/spec'
import { Adam } from './adam'
import { buildModelSpec } from './architecture'
import type { TrainConfig } from '../config'
import { createAverage, disposeAverage, updateAverage, type WeightAverage } from './ema'
import {
  criticAccuracy,
  criticLoss,
  discriminatorAccuracy,
  discriminatorBce,
  generatorBce,
  gradientPenalty,
  wganGeneratorLoss,
} from './losses'
import {
  createNetwork,
  disposeNetwork,
  forward,
  inputGradient,
  oneHot,
  type Network,
} from './models'
import { mixSeed, SEED_PURPOSE } from '../../shared/latent/seed'
import { tf } from './tf'

/** The config keys that shape the GAN and its updates. */
export type GanOptions = Pick<
  TrainConfig,
  | 'model'
  | 'batch'
  | 'seed'
  | 'lrD'
  | 'lrG'
  | 'beta1'
  | 'beta2'
  | 'dDropout'
  | 'labelSmoothing'
  | 'loss'
  | 'gpWeight'
  | 'ema'
>

/** Both networks, their optimizers, and the options they were built with. */
export interface Gan {
  model: ModelSpec
  options: GanOptions
  g: Network
  d: Network
  optG: Adam
  optD: Adam
  /** Classes G and D are conditioned on (0: unconditional). */
  classes: number
  /** Moving average of G's weights, when `options.ema > 0`. */
  gAverage?: WeightAverage
}

/** Losses of one discriminator update (`dAcc`: fraction of correct decisions, 0.5 = chance). */
export interface DStepResult {
  dLoss: number
  dAcc: number
}

/** Loss of one generator update. */
export interface GStepResult {
  gLoss: number
}

/**
 * Builds the GAN of `options.model` (trainer/core/architecture.ts), or of `model` when given (a
 * checkpoint's spec); with `loss: 'wgan-gp'` D is a critic (no sigmoid).
 * @example const gan = createGan({ ...DEFAULT_CONFIG, seed: 7 })
 */
export function createGan(options: GanOptions, model?: ModelSpec): Gan {
  const spec = model ?? buildModelSpec(options)
  const g = createNetwork(spec.generator, mixSeed(options.seed, 0x67))
  const d = createNetwork(spec.discriminator, mixSeed(options.seed, 0x64))
  const adam = (lr: number) => ({ lr, beta1: options.beta1, beta2: options.beta2 })
  return {
    model: spec,
    options,
    g,
    d,
    optG: new Adam(g.trainable, adam(options.lrG)),
    optD: new Adam(d.trainable, adam(options.lrD)),
    classes: classCount(spec.generator),
    ...(options.ema > 0 ? { gAverage: createAverage(g, options.ema) } : {}),
  }
}

/** Frees every variable of the GAN. */
export function disposeGan(gan: Gan): void {
  disposeNetwork(gan.g)
  disposeNetwork(gan.d)
  gan.optG.dispose()
  gan.optD.dispose()
  if (gan.gAverage) disposeAverage(gan.gAverage)
}

/**
 * Uniform class labels for one batch, seeded from `(seed, purpose, step, k)`; an empty array for
 * an unconditional GAN.
 */
export function drawLabels(gan: Gan, purpose: number, step: number, k: number): Int32Array {
  if (gan.classes === 0) return new Int32Array(0)
  const rng = new Xoshiro128(mixSeed(gan.options.seed, purpose, step, k))
  return Int32Array.from({ length: gan.options.batch }, () =>
    Math.min(gan.classes - 1, Math.floor(rng.nextFloat() * gan.classes)),
  )
}

/**
 * Labels `seedLabel(seed)` (shared/latent/condition.ts) of seeds `start .. start + n − 1`, the edge's rule
 * for a seed without a digit; undefined for an unconditional GAN.
 */
export function seedLabels(start: number, n: number, classes: number): Int32Array | undefined {
  if (classes === 0) return undefined
  return Int32Array.from({ length: n }, (_, i) => seedLabel(start + i, classes)!)
}

/** One-hot rows for `labels`, or undefined for an unconditional GAN (call inside tf.tidy). */
export function labelRows(gan: Gan, labels: Int32Array | undefined): tf.Tensor2D | undefined {
  if (gan.classes === 0) return undefined
  if (labels === undefined) throw new Error('Expected class labels for a conditional GAN.')
  return oneHot(labels, gan.classes)
}

function latents(gan: Gan, purpose: number, step: number, k: number): tf.Tensor2D {
  const shape: [number, number] = [gan.options.batch, gan.model.latentDim]
  return tf.randomNormal(
    shape,
    0,
    1,
    'float32',
    mixSeed(gan.options.seed, purpose, step, k),
  ) as tf.Tensor2D
}

/**
 * One discriminator (or critic) update on a batch of real images `[batch, 784]` in [-1, 1] (with
 * their class labels for a conditional GAN). `step` is the generator step and `k` the index among
 * its `dSteps` D updates; together they seed this update's latents, labels and dropout masks.
 */
export async function discriminatorStep(
  gan: Gan,
  real: tf.Tensor2D,
  step: number,
  k = 0,
  realLabels?: Int32Array,
): Promise<DStepResult> {
  const { options, d, g } = gan
  const [loss, acc] = tf.tidy(() => {
    const fakeLabels = drawLabels(gan, SEED_PURPOSE.dLabels, step, k)
    // G makes the fakes outside the gradient tape: D's update must not touch G.
    const fake = forward(g, latents(gan, SEED_PURPOSE.dNoise, step, k), {
      training: true,
      labels: labelRows(gan, fakeLabels),
    })
    // One D pass over [real; fake] (D has no BatchNorm, so this equals two passes; half the ops).
    const both = tf.concat([real, fake], 0)
    const bothLabels =
      gan.classes > 0 ? labelRows(gan, concatLabels(realLabels, fakeLabels)) : undefined
    const dropoutSeed = mixSeed(options.seed, SEED_PURPOSE.dDropout, step, k)
    const n = real.shape[0]
    let accuracy: tf.Scalar | undefined
    const { value, grads } = tf.variableGrads(() => {
      const out = forward(d, both, {
        training: true,
        dropoutSeed,
        logits: true,
        labels: bothLabels,
      })
      const realOut = out.slice([0, 0], [n, 1])
      const fakeOut = out.slice([n, 0], [fake.shape[0], 1])
      if (options.loss === 'bce') {
        accuracy = tf.keep(discriminatorAccuracy(realOut, fakeOut))
        return discriminatorBce(realOut, fakeOut, options.labelSmoothing)
      }
      accuracy = tf.keep(criticAccuracy(realOut, fakeOut))
      const eps = tf.randomUniform(
        [n, 1],
        0,
        1,
        'float32',
        mixSeed(options.seed, SEED_PURPOSE.gpMix, step, k),
      )
      const mixed = tf.add(tf.mul(eps, real), tf.mul(tf.sub(1, eps), fake)) as tf.Tensor2D
      const gpSeed = mixSeed(options.seed, SEED_PURPOSE.dDropout, step, k, 1)
      // Real and fake rows are paired by index, so a mixed row takes its real row's label.
      const penalty = gradientPenalty(
        inputGradient(d, mixed, {
          training: true,
          dropoutSeed: gpSeed,
          labels: labelRows(gan, realLabels),
        }),
      )
      return tf.add(criticLoss(realOut, fakeOut), tf.mul(penalty, options.gpWeight)) as tf.Scalar
    }, d.trainable)
    gan.optD.apply(d.trainable.map((v) => grads[v.name]))
    return [value, accuracy!]
  })
  // Async reads: WebGPU has no synchronous download in Node.
  const [dLoss, dAcc] = await Promise.all([loss.data(), acc.data()])
  tf.dispose([loss, acc])
  return { dLoss: dLoss[0], dAcc: dAcc[0] }
}

/**
 * One generator update against the current D (non-saturating BCE, or −D(G(z)) for WGAN-GP),
 * then the BatchNorm moving statistics update (Keras momentum semantics, see trainer/core/models.ts).
 */
export async function generatorStep(gan: Gan, step: number): Promise<GStepResult> {
  const { options, d, g } = gan
  const loss = tf.tidy(() => {
    const z = latents(gan, SEED_PURPOSE.gNoise, step, 0)
    const labels = labelRows(gan, drawLabels(gan, SEED_PURPOSE.gLabels, step, 0))
    const dropoutSeed = mixSeed(options.seed, SEED_PURPOSE.gDropout, step)
    const stats: { layer: string; mean: tf.Tensor1D; variance: tf.Tensor1D }[] = []
    const { value, grads } = tf.variableGrads(() => {
      const fake = forward(g, z, {
        training: true,
        labels,
        onBatchStats: (layer, mean, variance) =>
          stats.push({ layer, mean: tf.keep(mean), variance: tf.keep(variance) }),
      })
      const out = forward(d, fake, { training: true, dropoutSeed, logits: true, labels })
      return options.loss === 'bce' ? generatorBce(out) : wganGeneratorLoss(out)
    }, g.trainable)
    gan.optG.apply(g.trainable.map((v) => grads[v.name]))
    for (const { layer, mean, variance } of stats) {
      const spec = g.spec.layers.find((l) => l.kind === 'batchNorm' && l.name === layer)
      const momentum = spec?.kind === 'batchNorm' ? spec.momentum : 0.8
      const movingMean = g.vars.get(`${layer}.movingMean`)!
      const movingVariance = g.vars.get(`${layer}.movingVariance`)!
      movingMean.assign(tf.add(tf.mul(movingMean, momentum), tf.mul(mean, 1 - momentum)))
      movingVariance.assign(
        tf.add(tf.mul(movingVariance, momentum), tf.mul(variance, 1 - momentum)),
      )
    }
    tf.dispose(stats.flatMap((s) => [s.mean, s.variance]))
    if (gan.gAverage) updateAverage(gan.gAverage, g)
    return value
  })
  const gLoss = (await loss.data())[0]
  loss.dispose()
  return { gLoss }
}

function concatLabels(real: Int32Array | undefined, fake: Int32Array): Int32Array {
  if (real === undefined) throw new Error('Expected the real images\' labels for a conditional GAN.')
  const out = new Int32Array(real.length + fake.length)
  out.set(real)
  out.set(fake, real.length)
  return out
}

/**
 * Runs G on latents `z` (`[n·latentDim]`) and returns images `[n·784]` in [-1, 1]; a conditional
 * G draws image i as class `labels[i]`. `training: false` (default) uses the moving BatchNorm
 * statistics: what the exported model does.
 */
export async function generateImages(
  gan: Gan,
  z: Float32Array,
  training = false,
  labels?: Int32Array,
): Promise<Float32Array> {
  const n = z.length / gan.model.latentDim
  const images = tf.tidy(() =>
    forward(gan.g, tf.tensor2d(z, [n, gan.model.latentDim]), {
      training,
      labels: labelRows(gan, labels),
    }),
  )
  const data = (await images.data()) as Float32Array
  images.dispose()
  return data
}
