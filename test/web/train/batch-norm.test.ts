/**
 * @module test/web/train/batch-norm
 * The training page's BatchNorm re-estimation against the export command's: the same batch
 * statistics as tfjs's training-mode forward (trainer/core/models.ts) on the same latents, up to
 * float32 summation order, combined into the same population estimate; the same training-mode
 * output; and the same bits on the WebAssembly kernel as in JS.
 */
import { describe, expect, it } from 'vitest'
import { tutorialMlp } from '../../../shared/model/presets'
import {
  createNetwork,
  disposeNetwork,
  forward,
  oneHot,
  readTensors,
} from '../../../trainer/core/models'
import { tf } from '../../../trainer/core/tf'
import { loadKernel } from '../../../trainer/kernel'
import { reestimateBatchNorm, trainingForward } from '../../../web/train/batch-norm'
import { bnBatch } from '../../../web/train/export-model'

/** Largest |a − b| relative to max(1, |b|). */
function maxRelDiff(a: Float32Array, b: Float32Array | Float64Array): number {
  let worst = 0
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])))
  }
  return worst
}

describe.each([0, 10])('web/train/batch-norm with %i classes', (classes) => {
  const model = tutorialMlp({ classes })

  it('should estimate what tfjs training-mode statistics give on the same latents', async () => {
    const net = createNetwork(model.generator, 5)
    const tensors = await readTensors(net)
    const batches = 3
    const draw = (b: number) => bnBatch(11, b, model.latentDim, classes)
    // tfjs: each batch's statistics, combined as trainer/export/export.ts reestimateBatchNorm does.
    const sums = new Map<string, { mean: Float64Array; square: Float64Array }>()
    for (let b = 0; b < batches; b++) {
      const { z, labels, rows } = draw(b)
      const stats: { layer: string; mean: Float32Array; variance: Float32Array }[] = []
      tf.tidy(() => {
        forward(net, tf.tensor2d(z, [rows, model.latentDim]), {
          training: true,
          labels: labels ? oneHot(labels, classes) : undefined,
          onBatchStats: (layer, mean, variance) =>
            stats.push({
              layer,
              mean: mean.dataSync() as Float32Array,
              variance: variance.dataSync() as Float32Array,
            }),
        })
      })
      for (const { layer, mean, variance } of stats) {
        const s = sums.get(layer) ?? {
          mean: new Float64Array(mean.length),
          square: new Float64Array(mean.length),
        }
        sums.set(layer, s)
        mean.forEach((m, i) => {
          s.mean[i] += m
          s.square[i] += variance[i] + m * m
        })
      }
    }
    const estimated = reestimateBatchNorm(model.generator, tensors, batches, draw)
    expect([...sums.keys()]).toEqual(['g.bn1', 'g.bn2'])
    for (const [layer, s] of sums) {
      const mean = s.mean.map((x) => x / batches)
      const variance = s.square.map((x, i) => x / batches - mean[i] * mean[i])
      expect(maxRelDiff(estimated.get(`${layer}.movingMean`)!, mean), layer).toBeLessThan(1e-4)
      expect(maxRelDiff(estimated.get(`${layer}.movingVariance`)!, variance), layer).toBeLessThan(
        1e-4,
      )
    }
    // Only the moving statistics change.
    expect(estimated.get('g.dense1.kernel')).toBe(tensors.get('g.dense1.kernel'))
    disposeNetwork(net)
  })

  it('should run G in training mode as tfjs does', async () => {
    const net = createNetwork(model.generator, 6)
    const tensors = await readTensors(net)
    const batch = bnBatch(3, 0, model.latentDim, classes)
    const ours = trainingForward(model.generator, tensors, batch)!
    const theirs = tf.tidy(() =>
      forward(net, tf.tensor2d(batch.z, [batch.rows, model.latentDim]), {
        training: true,
        labels: batch.labels ? oneHot(batch.labels, classes) : undefined,
      }).dataSync(),
    ) as Float32Array
    expect(ours.length).toBe(batch.rows * 784)
    expect(maxRelDiff(ours, theirs)).toBeLessThan(1e-4)
    disposeNetwork(net)
  })

  it('should give the same bits on the WebAssembly kernel and in JS', async () => {
    const net = createNetwork(model.generator, 7)
    const tensors = await readTensors(net)
    const draw = (b: number) => bnBatch(1, b, model.latentDim, classes)
    const js = reestimateBatchNorm(model.generator, tensors, 2, draw)
    const wasm = reestimateBatchNorm(model.generator, tensors, 2, draw, loadKernel())
    for (const name of ['g.bn1.movingMean', 'g.bn2.movingVariance']) {
      expect(wasm.get(name), name).toEqual(js.get(name))
    }
    disposeNetwork(net)
  })
})
