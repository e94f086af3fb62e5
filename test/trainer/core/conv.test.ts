/**
 * @module test/trainer/core/conv
 * The convolution (custom gradient) and the upsampling of trainer/core/conv.ts against tfjs's own `conv2d` and a
 * naive upsample: values and gradients on the cpu backend (where `tf.conv2d` has its full
 * gradient), and the same numbers on wasm (where it has no filter gradient).
 */
import { afterAll, describe, expect, it } from 'vitest'
import { conv2d, upsample2 } from '../../../trainer/core/conv'
import { initBackend } from '../../../trainer/core/backend'
import { tf } from '../../../trainer/core/tf'

afterAll(async () => {
  await initBackend('cpu')
})

/** [input h, w, channels, kernel, filters, stride]: odd and even sizes and kernels, both pads. */
const CASES = [
  [5, 5, 2, 3, 3, 1],
  [7, 6, 3, 3, 4, 2], // 7 rows, stride 2: padding 0 above, 1 below (TensorFlow's `same`)
  [8, 8, 2, 4, 5, 2],
  [6, 5, 1, 4, 2, 1], // even kernel, stride 1: padding 1 before, 2 after
  [4, 4, 3, 1, 2, 2],
  [3, 3, 2, 5, 3, 2], // kernel larger than the input
] as const

function inputs(h: number, w: number, c: number, k: number, f: number) {
  return {
    x: tf.randomNormal([3, h, w, c], 0, 1, 'float32', 1) as tf.Tensor4D,
    kernel: tf.randomNormal([k, k, c, f], 0, 0.5, 'float32', 2) as tf.Tensor4D,
    bias: tf.randomNormal([f], 0, 0.5, 'float32', 3) as tf.Tensor1D,
  }
}

/** Value and gradients w.r.t. x, kernel and bias of Σ u·conv(x)² (u: a fixed random weighting). */
function valueAndGrads(
  conv: (x: tf.Tensor4D, k: tf.Tensor4D, b: tf.Tensor1D) => tf.Tensor4D,
  t: ReturnType<typeof inputs>,
) {
  return tf.tidy(() => {
    const y = conv(t.x, t.kernel, t.bias)
    const u = tf.randomUniform(y.shape, 0, 1, 'float32', 4)
    const loss = (x: tf.Tensor, k: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(u, tf.square(conv(x as tf.Tensor4D, k as tf.Tensor4D, b as tf.Tensor1D))))
    const grads = tf.grads(loss)([t.x, t.kernel, t.bias])
    return [y, ...grads].map((g) => ({ shape: g.shape, values: Float32Array.from(g.dataSync()) }))
  })
}

/** max |a − b| relative to max |b|. */
function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0
  let scale = 0
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]))
    scale = Math.max(scale, Math.abs(b[i]))
  }
  return diff / scale
}

describe('conv2d (custom gradient)', () => {
  it.each(CASES)(
    'should match tf.conv2d in value and gradients on cpu (%i×%i×%i, k %i, %i filters, stride %i)',
    async (h, w, c, k, f, stride) => {
      await initBackend('cpu')
      const t = inputs(h, w, c, k, f)
      const ours = valueAndGrads((x, kk, b) => conv2d(x, kk, b, stride), t)
      const stock = valueAndGrads(
        (x, kk, b) => tf.add(tf.conv2d(x, kk, stride, 'same'), b) as tf.Tensor4D,
        t,
      )
      for (let i = 0; i < 4; i++) {
        expect(ours[i].shape).toEqual(stock[i].shape)
        expect(relativeError(ours[i].values, stock[i].values)).toBeLessThan(1e-5)
      }
      tf.dispose([t.x, t.kernel, t.bias])
    },
  )

  it('should give the same value and gradients on wasm as tf.conv2d on cpu', async () => {
    for (const [h, w, c, k, f, stride] of CASES) {
      await initBackend('cpu')
      let t = inputs(h, w, c, k, f)
      const stock = valueAndGrads(
        (x, kk, b) => tf.add(tf.conv2d(x, kk, stride, 'same'), b) as tf.Tensor4D,
        t,
      )
      tf.dispose([t.x, t.kernel, t.bias])
      await initBackend('wasm')
      t = inputs(h, w, c, k, f) // the same seeded draws on this backend
      const ours = valueAndGrads((x, kk, b) => conv2d(x, kk, b, stride), t)
      for (let i = 0; i < 4; i++) {
        expect(
          relativeError(ours[i].values, stock[i].values),
          `case ${[h, w, c, k, f, stride]}`,
        ).toBeLessThan(1e-5)
      }
      tf.dispose([t.x, t.kernel, t.bias])
    }
  })

  it('should compute the input gradient only where something needs it', async () => {
    await initBackend('wasm')
    const t = inputs(8, 8, 2, 4, 3)
    const convs = async (f: () => void) =>
      (await tf.profile(() => tf.tidy(f))).kernels.filter((k) => k.name === 'Conv2D').length
    const loss = (x: tf.Tensor, k: tf.Tensor) =>
      tf.sum(conv2d(x as tf.Tensor4D, k as tf.Tensor4D, t.bias, 2))
    // dW is one conv; dx is one more (all four stride-2 parities in a single conv).
    expect(await convs(() => void tf.grad((k) => loss(t.x, k))(t.kernel))).toBe(1)
    expect(await convs(() => void tf.grads(loss)([t.x, t.kernel]))).toBe(2)
    tf.dispose([t.x, t.kernel, t.bias])
  })

  it('should leave no tensors behind', async () => {
    await initBackend('wasm')
    const t = inputs(8, 8, 2, 4, 3)
    const before = tf.memory().numTensors
    tf.tidy(() => {
      tf.grads((x: tf.Tensor, k: tf.Tensor) =>
        tf.sum(conv2d(x as tf.Tensor4D, k as tf.Tensor4D, t.bias, 2)),
      )([t.x, t.kernel])
    })
    expect(tf.memory().numTensors).toBe(before)
    tf.dispose([t.x, t.kernel, t.bias])
  })
})

describe('upsample2', () => {
  it.each(['cpu', 'wasm'] as const)(
    'should repeat each value over a 2×2 block and sum the gradient back on %s',
    async (backend) => {
      await initBackend(backend)
      tf.tidy(() => {
        const [b, h, w, c] = [2, 3, 5, 4]
        const x = tf.randomNormal([b, h, w, c], 0, 1, 'float32', 5) as tf.Tensor4D
        const xs = x.dataSync()
        const y = upsample2(x)
        expect(y.shape).toEqual([b, 2 * h, 2 * w, c])
        const ys = y.dataSync()
        let k = 0
        for (let n = 0; n < b; n++)
          for (let oy = 0; oy < 2 * h; oy++)
            for (let ox = 0; ox < 2 * w; ox++)
              for (let ch = 0; ch < c; ch++, k++) {
                expect(ys[k]).toBe(xs[((n * h + (oy >> 1)) * w + (ox >> 1)) * c + ch])
              }
        const u = tf.randomNormal(y.shape, 0, 1, 'float32', 6)
        const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(u, upsample2(t as tf.Tensor4D))))(x)
        const us = u.dataSync()
        const gs = grad.dataSync()
        const at = (n: number, oy: number, ox: number, ch: number) =>
          us[((n * 2 * h + oy) * 2 * w + ox) * c + ch]
        for (let n = 0; n < b; n++)
          for (let iy = 0; iy < h; iy++)
            for (let ix = 0; ix < w; ix++)
              for (let ch = 0; ch < c; ch++) {
                const want =
                  at(n, 2 * iy, 2 * ix, ch) +
                  at(n, 2 * iy, 2 * ix + 1, ch) +
                  at(n, 2 * iy + 1, 2 * ix, ch) +
                  at(n, 2 * iy + 1, 2 * ix + 1, ch)
                const got = gs[((n * h + iy) * w + ix) * c + ch]
                expect(Math.abs(got - want)).toBeLessThan(1e-5)
              }
      })
    },
  )
})
