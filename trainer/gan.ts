/**
 * @module trainer/gan
 * The GAN: both networks, their optimizers, and one training step for each.
 *
 * `discriminatorStep` and `generatorStep` are exported, tested, and return plain-number losses; the
 * loop in trainer/train.ts only sequences them. Every random draw is seeded from
 * `(seed, purpose, step, k)` (trainer/seed.ts), so a step computes the same numbers whether or not
 * the process restarted before it.
 *
 * BatchNorm during training (PyTorch-GAN's behaviour): G always runs with batch statistics, also
 * when it makes fakes for D; the moving statistics are updated once per generator step, from the
 * batch that step trained on.
 */
import { tutorialMlp, type ModelSpec } from '../shared/spec'
import { Adam } from './adam'
import type { TrainConfig } from './config'
import {
  criticAccuracy,
  criticLoss,
  discriminatorAccuracy,
  discriminatorBce,
  generatorBce,
  gradientPenalty,
  wganGeneratorLoss,
} from './losses'
import { createNetwork, disposeNetwork, forward, inputGradient, type Network } from './models'
import { mixSeed, SEED_PURPOSE } from './seed'
import { tf } from './tf'

/** The config keys that shape the GAN and its updates. */
export type GanOptions = Pick<
  TrainConfig,
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
>

/** Both networks, their optimizers, and the options they were built with. */
export interface Gan {
  model: ModelSpec
  options: GanOptions
  g: Network
  d: Network
  optG: Adam
  optD: Adam
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
 * Builds the tutorial GAN for `options`; with `loss: 'wgan-gp'` D is a critic (no sigmoid).
 * @example const gan = createGan({ ...DEFAULT_CONFIG, seed: 7 })
 */
export function createGan(options: GanOptions, model?: ModelSpec): Gan {
  const spec =
    model ?? tutorialMlp({ dDropout: options.dDropout, critic: options.loss === 'wgan-gp' })
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
  }
}

/** Frees every variable of the GAN. */
export function disposeGan(gan: Gan): void {
  disposeNetwork(gan.g)
  disposeNetwork(gan.d)
  gan.optG.dispose()
  gan.optD.dispose()
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
 * One discriminator (or critic) update on a batch of real images `[batch, 784]` in [-1, 1].
 * `step` is the generator step and `k` the index among its `dSteps` D updates; together they seed
 * this update's latents and dropout masks.
 */
export async function discriminatorStep(
  gan: Gan,
  real: tf.Tensor2D,
  step: number,
  k = 0,
): Promise<DStepResult> {
  const { options, d, g } = gan
  const [loss, acc] = tf.tidy(() => {
    // G makes the fakes outside the gradient tape: D's update must not touch G.
    const fake = forward(g, latents(gan, SEED_PURPOSE.dNoise, step, k), { training: true })
    // One D pass over [real; fake] (D has no BatchNorm, so this equals two passes; half the ops).
    const both = tf.concat([real, fake], 0)
    const dropoutSeed = mixSeed(options.seed, SEED_PURPOSE.dDropout, step, k)
    const n = real.shape[0]
    let accuracy: tf.Scalar | undefined
    const { value, grads } = tf.variableGrads(() => {
      const out = forward(d, both, { training: true, dropoutSeed, logits: true })
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
      const penalty = gradientPenalty(
        inputGradient(d, mixed, { training: true, dropoutSeed: gpSeed }),
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
 * then the BatchNorm moving statistics update (Keras momentum semantics, see trainer/models.ts).
 */
export async function generatorStep(gan: Gan, step: number): Promise<GStepResult> {
  const { options, d, g } = gan
  const loss = tf.tidy(() => {
    const z = latents(gan, SEED_PURPOSE.gNoise, step, 0)
    const dropoutSeed = mixSeed(options.seed, SEED_PURPOSE.gDropout, step)
    const stats: { layer: string; mean: tf.Tensor1D; variance: tf.Tensor1D }[] = []
    const { value, grads } = tf.variableGrads(() => {
      const fake = forward(g, z, {
        training: true,
        onBatchStats: (layer, mean, variance) =>
          stats.push({ layer, mean: tf.keep(mean), variance: tf.keep(variance) }),
      })
      const out = forward(d, fake, { training: true, dropoutSeed, logits: true })
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
    return value
  })
  const gLoss = (await loss.data())[0]
  loss.dispose()
  return { gLoss }
}

/**
 * Runs G on latents `z` (`[n·latentDim]`) and returns images `[n·784]` in [-1, 1].
 * `training: false` (default) uses the moving BatchNorm statistics: what the exported model does.
 */
export async function generateImages(
  gan: Gan,
  z: Float32Array,
  training = false,
): Promise<Float32Array> {
  const n = z.length / gan.model.latentDim
  const images = tf.tidy(() =>
    forward(gan.g, tf.tensor2d(z, [n, gan.model.latentDim]), { training }),
  )
  const data = (await images.data()) as Float32Array
  images.dispose()
  return data
}
