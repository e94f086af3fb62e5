/**
 * @module test/trainer/core/models
 * Networks built from the spec: names, init, BatchNorm semantics, the critic's analytic input
 * gradient, and the WGAN-GP penalty's weight gradient against finite differences.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { tensorSpecs, type NetworkSpec } from '../../../shared/model/spec'
import { tutorialMlp } from '../../../shared/model/presets'
import { gradientPenalty } from '../../../trainer/core/losses'
import {
  createNetwork,
  disposeNetwork,
  forward,
  inputGradient,
  readTensors,
} from '../../../trainer/core/models'
import { initBackend } from '../../../trainer/core/backend'
import { tf } from '../../../trainer/core/tf'

beforeAll(async () => {
  await initBackend('cpu')
})

/** A tiny critic: 5 → 4 → 3 → 1 with LeakyReLU(0.2), optional dropout. */
function tinyCritic(dropout = 0): NetworkSpec {
  const lrelu = { kind: 'activation', fn: 'leakyRelu', alpha: 0.2 } as const
  const drop = dropout > 0 ? [{ kind: 'dropout', rate: dropout } as const] : []
  return {
    inputs: 5,
    layers: [
      { kind: 'dense', name: 'c.dense0', inputs: 5, units: 4 },
      lrelu,
      ...drop,
      { kind: 'dense', name: 'c.dense1', inputs: 4, units: 3 },
      lrelu,
      { kind: 'dense', name: 'c.dense2', inputs: 3, units: 1 },
      { kind: 'activation', fn: 'linear' },
    ],
  }
}

describe('createNetwork', () => {
  it('should create one variable per tensorSpecs entry, PyTorch-initialized and seeded', async () => {
    const spec = tutorialMlp().generator
    const a = createNetwork(spec, 3)
    const b = createNetwork(spec, 3)
    expect([...a.vars.keys()]).toEqual(tensorSpecs(spec).map((t) => t.name))
    expect(a.trainable.length).toBe(tensorSpecs(spec).filter((t) => t.trainable).length)
    const ta = await readTensors(a)
    const kernel = ta.get('g.dense1.kernel')!
    const bound = 1 / Math.sqrt(128)
    expect(Math.max(...kernel.map(Math.abs))).toBeLessThanOrEqual(bound)
    expect(Math.max(...kernel.map(Math.abs))).toBeGreaterThan(0.9 * bound)
    expect(ta.get('g.bn1.gamma')!.every((v) => v === 1)).toBe(true)
    expect(ta.get('g.bn1.movingVariance')!.every((v) => v === 1)).toBe(true)
    expect((await readTensors(b)).get('g.dense3.kernel')).toEqual(ta.get('g.dense3.kernel'))
    disposeNetwork(a)
    disposeNetwork(b)
  })
})

describe('forward', () => {
  it('should normalize with batch statistics in training and moving ones in inference', () => {
    const net = createNetwork(tutorialMlp().generator, 1)
    tf.tidy(() => {
      const z = tf.randomNormal([32, 100], 0, 1, 'float32', 2) as tf.Tensor2D
      const stats: string[] = []
      const train = forward(net, z, { training: true, onBatchStats: (layer) => stats.push(layer) })
      expect(train.shape).toEqual([32, 784])
      expect(stats).toEqual(['g.bn1', 'g.bn2'])
      // Inference with moving stats equal to this batch's stats reproduces training mode.
      forward(net, z, {
        training: true,
        onBatchStats: (layer, mean, variance) => {
          net.vars.get(`${layer}.movingMean`)!.assign(mean)
          net.vars.get(`${layer}.movingVariance`)!.assign(variance)
        },
      })
      const infer = forward(net, z, { training: false })
      expect(tf.max(tf.abs(tf.sub(train, infer))).dataSync()[0]).toBeLessThan(1e-4)
      expect(tf.max(tf.abs(train)).dataSync()[0]).toBeLessThanOrEqual(1)
    })
    disposeNetwork(net)
  })

  it('should return logits before a trailing sigmoid when asked', () => {
    const d = createNetwork(tutorialMlp().discriminator, 4)
    tf.tidy(() => {
      const x = tf.randomUniform([3, 784], -1, 1, 'float32', 5) as tf.Tensor2D
      const logits = forward(d, x, { training: false, logits: true })
      const probs = forward(d, x, { training: false })
      expect(tf.max(tf.abs(tf.sub(tf.sigmoid(logits), probs))).dataSync()[0]).toBeLessThan(1e-6)
    })
    disposeNetwork(d)
  })

  it('should apply seeded inverted dropout only in training', () => {
    const d = createNetwork(tutorialMlp({ dDropout: 0.5 }).discriminator, 4)
    tf.tidy(() => {
      const x = tf.randomUniform([4, 784], -1, 1, 'float32', 5) as tf.Tensor2D
      const a = forward(d, x, { training: true, dropoutSeed: 9 }).dataSync()
      const b = forward(d, x, { training: true, dropoutSeed: 9 }).dataSync()
      const c = forward(d, x, { training: true, dropoutSeed: 10 }).dataSync()
      expect(Array.from(a)).toEqual(Array.from(b))
      expect(Array.from(a)).not.toEqual(Array.from(c))
      expect(() => forward(d, x, { training: true })).toThrow(/dropout seed/)
    })
    disposeNetwork(d)
  })
})

describe('inputGradient', () => {
  it.each([0, 0.3])('should equal tf.grad of the critic w.r.t. its input (dropout %s)', (rate) => {
    const critic = createNetwork(tinyCritic(rate), 11)
    tf.tidy(() => {
      const x = tf.randomNormal([6, 5], 0, 1, 'float32', 12) as tf.Tensor2D
      const opts = { training: true, dropoutSeed: 3 }
      const analytic = inputGradient(critic, x, opts)
      const auto = tf.grad((xs: tf.Tensor) => tf.sum(forward(critic, xs as tf.Tensor2D, opts)))(x)
      expect(tf.max(tf.abs(tf.sub(analytic, auto))).dataSync()[0]).toBeLessThan(1e-5)
    })
    disposeNetwork(critic)
  })

  it('should give the gradient penalty weight gradients that match finite differences', () => {
    // cpu backend, float32 (tfjs has no float64): the penalty is a polynomial in the weights while
    // no LeakyReLU changes side, so central differences with h = 1e-2 are accurate to ~1e-4
    // relative; we accept 2e-3 relative to the largest gradient component.
    const critic = createNetwork(tinyCritic(), 21)
    const x = tf.randomNormal([6, 5], 0, 1, 'float32', 22) as tf.Tensor2D
    const penalty = () => gradientPenalty(inputGradient(critic, x, { training: true }))
    const { grads } = tf.variableGrads(penalty, critic.trainable)
    const h = 1e-2
    let worst = 0
    let scale = 0
    for (const v of critic.trainable) {
      const analytic = grads[v.name].dataSync()
      const base = v.dataSync().slice()
      for (let i = 0; i < base.length; i++) {
        const at = (delta: number) => {
          const p = base.slice()
          p[i] += delta
          v.assign(tf.tensor(p, v.shape))
          return tf.tidy(() => penalty().dataSync()[0])
        }
        const numeric = (at(h) - at(-h)) / (2 * h)
        v.assign(tf.tensor(base, v.shape))
        worst = Math.max(worst, Math.abs(numeric - analytic[i]))
        scale = Math.max(scale, Math.abs(analytic[i]))
      }
    }
    expect(scale).toBeGreaterThan(1e-3) // the test is not vacuous
    expect(worst / scale).toBeLessThan(2e-3)
    tf.dispose([x, ...Object.values(grads)])
    disposeNetwork(critic)
  })
})
