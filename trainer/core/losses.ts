/**
 * @module trainer/core/losses
 * GAN objectives on the discriminator's logits.
 *
 * BCE is computed from logits (`max(x,0) − x·y + log(1 + e^−|x|)`) rather than from the spec's
 * sigmoid output: the same value, but finite when D saturates. The sigmoid stays the spec's output
 * activation for inference and for reporting D's accuracy (`sigmoid(x) > 0.5 ⇔ x > 0`).
 */
import { tf } from './tf'

/**
 * Mean binary cross-entropy of logits `[batch, 1]` against a constant target in [0, 1].
 * @example bceWithLogits(realLogits, 0.9) // one-sided label smoothing 0.1
 */
export function bceWithLogits(logits: tf.Tensor, target: number): tf.Scalar {
  return tf.tidy(() => {
    const softplusNegAbs = tf.log1p(tf.exp(tf.neg(tf.abs(logits))))
    return tf.mean(
      tf.add(tf.sub(tf.relu(logits), tf.mul(logits, target)), softplusNegAbs),
    ) as tf.Scalar
  })
}

/**
 * The discriminator's loss: the mean of its BCE on real (target `1 − labelSmoothing`, one-sided
 * smoothing) and on fake images (target 0), as in the tutorial.
 */
export function discriminatorBce(
  realLogits: tf.Tensor,
  fakeLogits: tf.Tensor,
  labelSmoothing = 0,
): tf.Scalar {
  return tf.tidy(() =>
    tf.mul(
      tf.add(bceWithLogits(realLogits, 1 - labelSmoothing), bceWithLogits(fakeLogits, 0)),
      0.5,
    ),
  )
}

/** The non-saturating generator loss: BCE of D's logits on fakes against "real" (1). */
export function generatorBce(fakeLogits: tf.Tensor): tf.Scalar {
  return bceWithLogits(fakeLogits, 1)
}

/** Fraction of correct D decisions over reals (logit > 0) and fakes (logit ≤ 0). */
export function discriminatorAccuracy(realLogits: tf.Tensor, fakeLogits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const real = tf.mean(tf.step(realLogits))
    const fake = tf.sub(1, tf.mean(tf.step(fakeLogits)))
    return tf.mul(tf.add(real, fake), 0.5) as tf.Scalar
  })
}

/**
 * The WGAN critic's accuracy analogue: the fraction of pairs where the critic scores the real
 * image above the fake one (0.5 = cannot tell them apart).
 */
export function criticAccuracy(realScores: tf.Tensor, fakeScores: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.step(tf.sub(realScores, fakeScores))) as tf.Scalar)
}

/** WGAN critic loss without the penalty: mean D(fake) − mean D(real). */
export function criticLoss(realScores: tf.Tensor, fakeScores: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.sub(tf.mean(fakeScores), tf.mean(realScores)) as tf.Scalar)
}

/** WGAN generator loss: −mean D(G(z)). */
export function wganGeneratorLoss(fakeScores: tf.Tensor): tf.Scalar {
  return tf.neg(tf.mean(fakeScores)) as tf.Scalar
}

/**
 * The WGAN-GP penalty (Gulrajani et al., 2017): mean over the batch of (‖∇x D(x̂)‖₂ − 1)², given
 * the critic's input gradients `[batch, features]`. A tiny ε inside the sqrt keeps its gradient
 * finite when a gradient row is exactly zero.
 */
export function gradientPenalty(inputGrads: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const norms = tf.sqrt(tf.add(tf.sum(tf.square(inputGrads), 1), 1e-12))
    return tf.mean(tf.square(tf.sub(norms, 1))) as tf.Scalar
  })
}
