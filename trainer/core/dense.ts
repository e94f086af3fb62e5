/**
 * @module trainer/core/dense
 * A dense layer `y = x · W + b` with a hand-written gradient.
 *
 * Why: the stock gradient of `matMul` uses `matMul(dy, W, false, true)` and
 * `matMul(x, dy, true, false)`; on the wasm backend the transposed-operand matMul is ~10× slower
 * than a plain one, which made a whole GAN step ~6× slower. Transposing explicitly first
 * (`tf.transpose` then a plain `matMul`) gives the same numbers fast. Both gradients are built from
 * differentiable ops, so second-order gradients through this layer still work.
 */
import { tf } from './tf'

/**
 * `x · kernel + bias` for `x` `[batch, in]`, `kernel` `[in, units]`, `bias` `[units]` → `[batch, units]`,
 * with gradients dx = dy · Wᵀ, dW = xᵀ · dy, db = Σ_batch dy.
 * @example const y = dense(x, vars.get('g.dense0.kernel')!, vars.get('g.dense0.bias')!)
 */
export function dense(x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  return denseGrad(x, kernel, bias) as tf.Tensor2D
}

/**
 * On webgpu the trade-off is the reverse: every op is a dispatch with fixed host overhead, and a
 * transposed operand is free (the matMul shader reads it strided). There the bias is fused into
 * the matMul and the gradients use transposed matMuls: 5 dispatches per layer instead of 8 (the
 * bias gradient's axis-0 sum is still a transpose plus a reduce inside tfjs).
 */
function onWebgpu(): boolean {
  return tf.getBackend() === 'webgpu'
}

const denseGrad = tf.customGrad((...args: unknown[]) => {
  const [x, kernel, bias, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc]
  save([x, kernel])
  const webgpu = onWebgpu()
  return {
    value: webgpu ? tf.fused.matMul({ a: x, b: kernel, bias }) : tf.add(tf.matMul(x, kernel), bias),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const g = dy as tf.Tensor2D
      const [xs, ks] = saved as [tf.Tensor2D, tf.Tensor2D]
      if (webgpu) {
        return [tf.matMul(g, ks, false, true), tf.matMul(xs, g, true, false), tf.sum(g, 0)]
      }
      return [
        tf.matMul(g, tf.transpose(ks)), // [batch, in]
        tf.matMul(tf.transpose(xs), g), // [in, units]
        tf.sum(g, 0), // [units]
      ]
    },
  }
})

/** The same layer with tfjs's stock matMul gradient: the reference for tests and benchmarks. */
export function denseStock(x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  return tf.add(tf.matMul(x, kernel), bias)
}

/**
 * `a · b` for 2-D tensors with the same explicit-transpose gradient as `dense`
 * (da = dy · bᵀ, db = aᵀ · dy): for products inside a gradient expression, e.g. the critic's
 * input gradient in the WGAN-GP penalty.
 */
export function matMul(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return matMulGrad(a, b) as tf.Tensor2D
}

const matMulGrad = tf.customGrad((...args: unknown[]) => {
  const [a, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc]
  save([a, b])
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const g = dy as tf.Tensor2D
      const [as, bs] = saved as [tf.Tensor2D, tf.Tensor2D]
      if (onWebgpu()) return [tf.matMul(g, bs, false, true), tf.matMul(as, g, true, false)]
      return [tf.matMul(g, tf.transpose(bs)), tf.matMul(tf.transpose(as), g)]
    },
  }
})
