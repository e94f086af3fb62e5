/**
 * @module test/trainer/core/dense
 * The hand-written dense gradient equals tfjs's stock matMul gradient, on wasm and cpu.
 */
import { describe, expect, it } from 'vitest'
import { dense, denseStock, matMul } from '../../../trainer/core/dense'
import { initBackend } from '../../../trainer/core/backend'
import { tf } from '../../../trainer/core/tf'

function maxAbs(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0])
}

describe.each(['wasm', 'cpu'] as const)('dense on %s', (backend) => {
  it('should match the stock value and gradients', async () => {
    await initBackend(backend)
    tf.tidy(() => {
      const x = tf.randomNormal([16, 40], 0, 1, 'float32', 1) as tf.Tensor2D
      const k = tf.randomNormal([40, 24], 0, 0.2, 'float32', 2) as tf.Tensor2D
      const b = tf.randomNormal([24], 0, 0.2, 'float32', 3) as tf.Tensor1D
      const w = tf.randomNormal([16, 24], 0, 1, 'float32', 4)
      // A non-trivial upstream gradient: d/dy of Σ w·y² is 2·w·y.
      const loss = (f: typeof dense) => (xs: tf.Tensor, ks: tf.Tensor, bs: tf.Tensor) =>
        tf.sum(tf.mul(w, tf.square(f(xs as tf.Tensor2D, ks as tf.Tensor2D, bs as tf.Tensor1D))))
      expect(maxAbs(dense(x, k, b), denseStock(x, k, b))).toBeLessThan(1e-5)
      const custom = tf.grads(loss(dense))([x, k, b])
      const stock = tf.grads(loss(denseStock))([x, k, b])
      for (let i = 0; i < 3; i++) {
        const scale = tf.max(tf.abs(stock[i])).dataSync()[0]
        // Summation order differs (transpose + matMul vs transposed matMul): f32 rounding only.
        expect(maxAbs(custom[i], stock[i]) / scale).toBeLessThan(1e-5)
      }
    })
  })

  it('should give matMul the stock gradients too', async () => {
    await initBackend(backend)
    tf.tidy(() => {
      const a = tf.randomNormal([8, 12], 0, 1, 'float32', 5) as tf.Tensor2D
      const b = tf.randomNormal([12, 6], 0, 1, 'float32', 6) as tf.Tensor2D
      const f = (mm: typeof matMul) => (x: tf.Tensor, y: tf.Tensor) =>
        tf.sum(tf.square(mm(x as tf.Tensor2D, y as tf.Tensor2D)))
      const custom = tf.grads(f(matMul))([a, b])
      const stock = tf.grads(f((x, y) => tf.matMul(x, y)))([a, b])
      for (let i = 0; i < 2; i++) expect(maxAbs(custom[i], stock[i])).toBeLessThan(1e-3)
    })
  })
})
