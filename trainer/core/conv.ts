/**
 * @module trainer/core/conv
 * The conv models' layers for training: a `same`-padded convolution with our own gradient, and
 * nearest-neighbour 2× upsampling.
 *
 * Why our own gradient: `tf.conv2d`'s filter gradient needs the `Conv2DBackpropFilter` kernel,
 * which the wasm backend (our default for training) does not have, and its input gradient
 * (`Conv2DBackpropInput`) runs there several times slower than a forward conv. So each part of the
 * gradient is itself a forward `tf.conv2d` (XNNPACK on wasm) plus cheap reshuffles:
 * - dx: dy correlated with the kernel flipped in space and transposed in channels, padded
 *   `k − 1 − before` before; for stride 2, the output's four (row, column) parities each read
 *   their own taps of the kernel, so one conv computes all four with their kernels side by side
 *   on the output channels, and a transpose interleaves them (no products with inserted zeros);
 * - dW: a conv of the padded input with dy as the filter, batch and channels swapped
 *   (`[in, h, w, batch]` ∗ `[oh, ow, batch, filters]` → `[in, k, k, filters]`), dilated by the
 *   stride;
 * - db: the sum of dy (tfjs's own `add` gradient).
 * The forward runs the backend's own Conv2D kernel under a private kernel name whose gradient is
 * registered here, so that tfjs asks for dx and dW separately: dx is not computed where nothing
 * needs it (D's first layer in a discriminator step). These gradient functions are not themselves
 * differentiable (no second derivatives; the gradient penalty rejects conv critics).
 * Tests compare values and gradients with `tf.conv2d` on the cpu backend, and wasm with cpu.
 */
import { convGeometry } from '../../shared/model/spec'
import { tf } from './tf'

type Pad4 = [[number, number], [number, number], [number, number], [number, number]]

/** The backend's Conv2D forward under our name, so that our gradient applies to it alone. */
const CONV_KERNEL = 'DigitGanConv2D'

/**
 * `same`-padded convolution (TensorFlow's, see shared/model/spec `convGeometry`) of `x`
 * `[batch, h, w, in]` with `kernel` `[k, k, in, filters]` and `bias` `[filters]`.
 * @returns `[batch, ⌈h / stride⌉, ⌈w / stride⌉, filters]`
 * @example const y = conv2d(x, vars.get('g.conv1.kernel')!, vars.get('g.conv1.bias')!, 1)
 */
export function conv2d(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  bias: tf.Tensor1D,
  stride: 1 | 2,
): tf.Tensor4D {
  if (x.shape[3] !== kernel.shape[2]) {
    throw new Error(`Expected ${kernel.shape[2]} input channels, but got ${x.shape[3]}.`)
  }
  registerConv()
  const attrs = { strides: stride, pad: 'same', dataFormat: 'NHWC', dilations: 1 }
  const y = tf.engine().runKernel(CONV_KERNEL, { x, filter: kernel }, attrs) as tf.Tensor4D
  return tf.add(y, bias)
}

/** Registers the forward for the current backend (once) and the gradient (once). */
function registerConv(): void {
  const backend = tf.getBackend()
  if (tf.getKernel(CONV_KERNEL, backend) === undefined) {
    const { kernelFunc } = tf.getKernel('Conv2D', backend)
    tf.registerKernel({ kernelName: CONV_KERNEL, backendName: backend, kernelFunc })
  }
  if (tf.getGradient(CONV_KERNEL) !== undefined) return
  tf.registerGradient({
    kernelName: CONV_KERNEL,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const g = dy as tf.Tensor4D
      const [x, kernel] = saved as [tf.Tensor4D, tf.Tensor4D]
      const stride = attrs.strides as 1 | 2
      return {
        x: () => inputGrad(g, kernel, x.shape, stride),
        filter: () => kernelGrad(g, x, kernel.shape[0], stride),
      }
    },
  })
}

/** ∂/∂x `[batch, h, w, in]` (see the module doc). */
function inputGrad(
  dy: tf.Tensor4D,
  kernel: tf.Tensor4D,
  shape: [number, number, number, number],
  stride: 1 | 2,
): tf.Tensor4D {
  const k = kernel.shape[0]
  const [, h, w] = shape
  const top = convGeometry(h, k, stride).before
  const left = convGeometry(w, k, stride).before
  if (stride === 1) {
    // dx[i] = Σ_o dy[o]·W[i − o + top]: dy ∗ the flipped kernel, padded k − 1 − top before.
    const flipped = tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D
    return correlate(dy, flipped, k - 1 - top, k - 1 - left, h, w)
  }
  // Stride 2: output row i = 2a + e reads dx[i] = Σ_q dy[a + base − q]·W[2q + r] with
  // r = (e + top) mod 2 and base = ⌊(e + top) / 2⌋. Aligned on a common padding `p`, parity e
  // puts W[2q + r] at row u = base + p − q of a T-row kernel (zeros elsewhere).
  const rows = parityTaps(k, top)
  const cols = parityTaps(k, left)
  const zeroRow = k * k
  const index: number[] = [] // [T, T, 2, 2] rows of the kernel flattened to [k·k (+ zero), …]
  for (let u = 0; u < rows.size; u++) {
    for (let v = 0; v < cols.size; v++) {
      for (let ey = 0; ey < 2; ey++) {
        for (let ex = 0; ex < 2; ex++) {
          const ky = rows.tap(ey, u)
          const kx = cols.tap(ex, v)
          index.push(ky < 0 || kx < 0 ? zeroRow : ky * k + kx)
        }
      }
    }
  }
  const [, , inChannels, filters] = kernel.shape
  const flat = tf.concat([
    tf.reshape(tf.transpose(kernel, [0, 1, 3, 2]), [k * k, filters * inChannels]),
    tf.zeros([1, filters * inChannels]),
  ])
  const gathered = tf.gather(flat, tf.tensor1d(index, 'int32')) // [T·T·4, filters·in]
  const phased = tf.transpose(
    tf.reshape(gathered, [rows.size * cols.size, 4, filters, inChannels]),
    [0, 2, 1, 3],
  )
  const combined = tf.reshape(phased, [
    rows.size,
    cols.size,
    filters,
    4 * inChannels,
  ]) as tf.Tensor4D
  const a = Math.ceil(h / 2)
  const b = Math.ceil(w / 2)
  const all = correlate(dy, combined, rows.pad, cols.pad, a, b) // [batch, a, b, (ey, ex, in)]
  // Interleave: [batch·a, b, ey, (ex, in)] → [batch·a, ey, b, (ex, in)] is [batch, 2a, 2b, in].
  const split = tf.reshape(all, [dy.shape[0] * a, b, 2, 2 * inChannels])
  const grid = tf.reshape(tf.transpose(split, [0, 2, 1, 3]), [
    dy.shape[0],
    2 * a,
    2 * b,
    inChannels,
  ])
  return (2 * a === h && 2 * b === w ? grid : tf.slice(grid, 0, [-1, h, w, -1])) as tf.Tensor4D
}

/**
 * Along one axis of a stride-2 conv with kernel `k` and padding `before`: the common padding
 * `pad`, the aligned kernel length `size`, and `tap(e, u)`, the kernel tap at row `u` for output
 * parity `e` (−1 for none).
 */
function parityTaps(k: number, before: number) {
  const phases = [0, 1].map((e) => {
    const r = (e + before) & 1
    const base = (e + before) >> 1
    const count = r < k ? Math.floor((k - 1 - r) / 2) + 1 : 0 // taps r, r + 2, … below k
    return { r, base, count }
  })
  const pad = Math.max(0, ...phases.map((p) => p.count - 1 - p.base))
  const size = Math.max(...phases.map((p) => p.base + pad)) + 1
  const tap = (e: number, u: number) => {
    const { r, base, count } = phases[e]
    const q = base + pad - u
    return q >= 0 && q < count ? 2 * q + r : -1
  }
  return { pad, size, tap }
}

/**
 * `out[o] = Σ_t dy[o − top + t]·kernel[t]` for `o < outH` (and likewise on columns), zeros
 * outside dy: a stride-1 conv of dy padded `top` before and as needed after.
 * @returns `[batch, outH, outW, kernel channels out]`
 */
function correlate(
  dy: tf.Tensor4D,
  kernel: tf.Tensor4D,
  top: number,
  left: number,
  outH: number,
  outW: number,
): tf.Tensor4D {
  const [kh, kw] = kernel.shape
  // valid output size = dy + top + bottom − k + 1 = out; a negative bottom crops instead.
  const bottom = outH + kh - 1 - top - dy.shape[1]
  const right = outW + kw - 1 - left - dy.shape[2]
  const pads: Pad4 = [
    [0, 0],
    [top, Math.max(0, bottom)],
    [left, Math.max(0, right)],
    [0, 0],
  ]
  const out = tf.conv2d(dy, kernel, 1, pads)
  return bottom < 0 || right < 0 ? tf.slice(out, 0, [-1, outH, outW, -1]) : out
}

/** ∂/∂kernel `[k, k, in, filters]`: `[in, h', w', batch]` ∗ `[oh, ow, batch, filters]`. */
function kernelGrad(dy: tf.Tensor4D, x: tf.Tensor4D, k: number, stride: 1 | 2): tf.Tensor4D {
  const [, h, w] = x.shape
  const [, oh, ow] = dy.shape
  // The taps read rows [0, s·(oh − 1) + k) of the input padded `before` rows above.
  const rows = convGeometry(h, k, stride).before
  const cols = convGeometry(w, k, stride).before
  const needH = stride * (oh - 1) + k
  const needW = stride * (ow - 1) + k
  let xs: tf.Tensor4D = x
  if (needH - rows < h || needW - cols < w) {
    xs = tf.slice(x, 0, [-1, Math.min(h, needH - rows), Math.min(w, needW - cols), -1])
  }
  const padded = tf.pad(xs, [
    [0, 0],
    [rows, needH - rows - xs.shape[1]],
    [cols, needW - cols - xs.shape[2]],
    [0, 0],
  ])
  const image = tf.transpose(padded, [3, 1, 2, 0]) as tf.Tensor4D // [in, h', w', batch]
  const filter = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D // [oh, ow, batch, filters]
  const grad = tf.conv2d(image, filter, 1, 'valid', 'NHWC', stride) // [in, k, k, filters]
  return tf.transpose(grad, [1, 2, 0, 3])
}

/**
 * Nearest-neighbour 2× upsampling, `y[oy, ox] = x[⌊oy / 2⌋, ⌊ox / 2⌋]`: `[batch, h, w, c]` →
 * `[batch, 2h, 2w, c]`, as two concats of a tensor with itself and reshapes (columns: `[x, x]` on
 * the channel axis read as `[2w, c]`; rows: the same on whole rows). Not
 * `tf.image.resizeNearestNeighbor`: no faster on wasm, and its gradient on the cpu backend is wrong
 * for some shapes.
 */
export function upsample2(x: tf.Tensor4D): tf.Tensor4D {
  const [batch, h, w, c] = x.shape
  const columns = tf.reshape(tf.concat([x, x], 3), [batch, h, 2 * w * c])
  return tf.reshape(tf.concat([columns, columns], 2), [batch, 2 * h, 2 * w, c]) as tf.Tensor4D
}
