/**
 * @module test/trainer/core/models-conv
 * The conv models in tfjs (trainer/core/models.ts + trainer/core/conv.ts): init, per-channel BatchNorm, the
 * inference forward pass against the shared engine, conditioning, the WGAN-GP guard, and a short
 * dcgan training run on the wasm backend through trainer/core/gan.ts.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { createGenerator } from '../../../shared/inference/forward'
import { tensorSpecs, type NetworkSpec } from '../../../shared/model/spec'
import { dcgan } from '../../../shared/model/presets'
import { decodeWeights, encodeWeights } from '../../../shared/model/weights'
import { buildModelSpec } from '../../../trainer/core/architecture'
import { DEFAULT_CONFIG } from '../../../trainer/config'
import { createGan, discriminatorStep, disposeGan, generatorStep } from '../../../trainer/core/gan'
import { loadKernel } from '../../../trainer/kernel'
import {
  createNetwork,
  disposeNetwork,
  forward,
  inputGradient,
  oneHot,
  readTensors,
} from '../../../trainer/core/models'
import { initBackend } from '../../../trainer/core/backend'
import { tf } from '../../../trainer/core/tf'

afterAll(async () => {
  await initBackend('cpu')
})

/** Moving statistics away from identity, so that inference BatchNorm is a real affine map. */
function setMovingStats(spec: NetworkSpec, net: ReturnType<typeof createNetwork>): void {
  for (const t of tensorSpecs(spec)) {
    if (!t.trainable) {
      const n = t.shape[0]
      const values = Array.from({ length: n }, (_, i) =>
        t.name.endsWith('Variance') ? 0.5 + (i % 7) / 10 : ((i % 5) - 2) / 10,
      )
      net.vars.get(t.name)!.assign(tf.tensor1d(values))
    }
  }
}

describe.each(['cpu', 'wasm'] as const)('conv networks on %s', (backend) => {
  it('should initialize conv kernels as PyTorch, U(±1/√(k·k·in))', async () => {
    await initBackend(backend)
    const net = createNetwork(dcgan().generator, 3)
    const kernel = (await readTensors(net)).get('g.conv1.kernel')!
    const bound = 1 / Math.sqrt(9 * 64)
    const max = kernel.reduce((m, v) => Math.max(m, Math.abs(v)), 0)
    expect(max).toBeLessThanOrEqual(bound)
    expect(max).toBeGreaterThan(0.9 * bound)
    disposeNetwork(net)
  })

  it('should normalize a feature map per channel over batch, height and width', async () => {
    await initBackend(backend)
    const spec: NetworkSpec = {
      inputs: 24,
      layers: [
        { kind: 'reshape', shape: [2, 3, 4] },
        { kind: 'batchNorm', name: 'bn', features: 4, epsilon: 1e-5, momentum: 0.8 },
        { kind: 'flatten' },
      ],
    }
    const net = createNetwork(spec, 1)
    tf.tidy(() => {
      const x = tf.add(tf.randomNormal([5, 24], 0, 3, 'float32', 2), tf.range(0, 24)) as tf.Tensor2D
      const shapes: number[][] = []
      const y = forward(net, x, { training: true, onBatchStats: (_, m) => shapes.push(m.shape) })
      expect(shapes).toEqual([[4]])
      const { mean, variance } = tf.moments(tf.reshape(y, [30, 4]), 0)
      expect(tf.max(tf.abs(mean)).dataSync()[0]).toBeLessThan(1e-4)
      expect(tf.max(tf.abs(tf.sub(variance, 1))).dataSync()[0]).toBeLessThan(1e-3)
    })
    disposeNetwork(net)
  })

  it.each([0, 10])(
    'should match the shared engine in inference mode within 1e-4 (%s classes)',
    async (classes) => {
      await initBackend(backend)
      const model = dcgan({ classes })
      const g = createNetwork(model.generator, 4)
      setMovingStats(model.generator, g)
      const n = 6
      const labels = Int32Array.from({ length: n }, (_, i) => (i * 3) % 10)
      const [z, ours] = tf.tidy(() => {
        const zs = tf.randomNormal([n, 100], 0, 1, 'float32', 5) as tf.Tensor2D
        const rows = classes > 0 ? oneHot(labels, classes) : undefined
        const out = forward(g, zs, { training: false, labels: rows })
        return [Float32Array.from(zs.dataSync()), Float32Array.from(out.dataSync())]
      })
      const { manifest, payload } = encodeWeights(model, await readTensors(g), { dtype: 'f32' })
      const engine = createGenerator(decodeWeights(manifest, payload), { kernel: loadKernel() })
      let max = 0
      for (let i = 0; i < n; i++) {
        const image = engine.run(
          z.subarray(i * 100, (i + 1) * 100),
          classes ? labels[i] : undefined,
        )
        for (let j = 0; j < 784; j++) max = Math.max(max, Math.abs(image[j] - ours[i * 784 + j]))
      }
      expect(max).toBeLessThan(1e-4)
      expect(Math.max(...ours.map(Math.abs))).toBeGreaterThan(0.01) // not a constant image
      disposeNetwork(g)
    },
  )

  it('should score images with D, conditioned after its flatten', async () => {
    await initBackend(backend)
    const d = createNetwork(dcgan({ classes: 10 }).discriminator, 6)
    tf.tidy(() => {
      const x = tf.randomUniform([3, 784], -1, 1, 'float32', 7) as tf.Tensor2D
      const labels = oneHot(new Int32Array([1, 2, 3]), 10)
      const p = forward(d, x, { training: true, labels })
      expect(p.shape).toEqual([3, 1])
      expect(() => forward(d, x, { training: true })).toThrow(/one-hot labels of 10 classes/)
    })
    disposeNetwork(d)
  })
})

describe('conv critics and --model', () => {
  it('should refuse the analytic input gradient of a conv critic', async () => {
    await initBackend('cpu')
    const critic = createNetwork(dcgan({ critic: true }).discriminator, 8)
    const x = tf.zeros([2, 784]) as tf.Tensor2D
    expect(() => inputGradient(critic, x, { training: true })).toThrow(
      /Expected a dense critic for the gradient penalty .*but got a reshape layer/,
    )
    x.dispose()
    disposeNetwork(critic)
  })

  it('should map --model dcgan and cdcgan to the preset, and refuse them with wgan-gp', () => {
    const config = { ...DEFAULT_CONFIG, model: 'dcgan' as const }
    expect(buildModelSpec(config)).toEqual(dcgan())
    expect(buildModelSpec({ ...config, model: 'cdcgan' })).toEqual(dcgan({ classes: 10 }))
    expect(() => buildModelSpec({ ...config, loss: 'wgan-gp' })).toThrow(
      /Expected --loss bce with --model dcgan/,
    )
  })
})

describe('dcgan training on wasm', () => {
  it.each(['dcgan', 'cdcgan'] as const)(
    'should run D and G steps of %s with finite losses and no leaked tensors',
    async (model) => {
      await initBackend('wasm')
      const gan = createGan({ ...DEFAULT_CONFIG, model, batch: 16, seed: 3 })
      const real = tf.randomUniform([16, 784], -1, 1, 'float32', 9) as tf.Tensor2D
      const labels = gan.classes > 0 ? Int32Array.from({ length: 16 }, (_, i) => i % 10) : undefined
      const before = (await readTensors(gan.g)).get('g.conv1.kernel')!
      let tensors = 0
      for (let step = 0; step < 3; step++) {
        const d = await discriminatorStep(gan, real, step, 0, labels)
        const g = await generatorStep(gan, step)
        expect(Number.isFinite(d.dLoss) && Number.isFinite(g.gLoss)).toBe(true)
        if (step === 0) tensors = tf.memory().numTensors
      }
      expect(tf.memory().numTensors).toBe(tensors)
      const after = await readTensors(gan.g)
      expect(after.get('g.conv1.kernel')).not.toEqual(before) // G's convs train
      expect(after.get('g.bn1.movingMean')!.some((v) => v !== 0)).toBe(true)
      real.dispose()
      disposeGan(gan)
    },
  )
})
