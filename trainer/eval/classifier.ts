/**
 * @module trainer/eval/classifier
 * The small MNIST CNN whose features and predictions `npm run eval` scores generators with:
 *
 *   [B,28,28,1] → conv 5×5×16 + ReLU → maxpool 2 → [B,14,14,16]
 *               → conv 5×5×32 + ReLU → maxpool 2 → [B,7,7,32] → flatten [B,1568]
 *               → dense 128 + ReLU (the FID feature layer) → dense 10 (logits)
 *
 * Inputs are pixels scaled to [-1, 1] (the generator's tanh range): `gray / 127.5 − 1`.
 *
 * Built from plain tfjs-core ops with a hand-written backward pass (no autodiff, no tfjs-layers),
 * because on the wasm backend tfjs has no Conv2DBackpropFilter kernel and its conv2dTranspose is
 * ~10× slower than a forward conv. The backward pass uses only forward convs and plain matMuls:
 * - input gradient: a 'same' conv of dy with the kernel flipped in space and in/out swapped;
 * - kernel gradient: a 'valid' conv with batch and channels swapped (input `[Cin, H+4, W+4, B]`,
 *   filter dy `[H, W, B, Cout]`, output `[Cin, 5, 5, Cout]`);
 * - dense gradients: explicit transposes, then plain matMuls (trainer/core/dense.ts explains why).
 *
 * Weights: `models/classifier/` (trainer/eval/classifier-file.ts), from trainer/eval/train-classifier.ts.
 */
import { tf } from '../core/tf'

/** Architecture of the classifier; stored in its manifest. */
export interface ClassifierSpec {
  kernel: number
  conv1: number
  conv2: number
  features: number
  classes: number
}

export const DEFAULT_CLASSIFIER_SPEC: ClassifierSpec = {
  kernel: 5,
  conv1: 16,
  conv2: 32,
  features: 128,
  classes: 10,
}

const SIDE = 28

/** Parameter names and shapes, in payload order. */
export function classifierTensorShapes(spec: ClassifierSpec): { name: string; shape: number[] }[] {
  const { kernel: k, conv1, conv2, features, classes } = spec
  const flat = (SIDE / 4) * (SIDE / 4) * conv2
  return [
    { name: 'conv1.kernel', shape: [k, k, 1, conv1] },
    { name: 'conv1.bias', shape: [conv1] },
    { name: 'conv2.kernel', shape: [k, k, conv1, conv2] },
    { name: 'conv2.bias', shape: [conv2] },
    { name: 'dense1.kernel', shape: [flat, features] },
    { name: 'dense1.bias', shape: [features] },
    { name: 'dense2.kernel', shape: [features, classes] },
    { name: 'dense2.bias', shape: [classes] },
  ]
}

/** A classifier: its spec and its parameters as tensors keyed by `classifierTensorShapes` names. */
export interface Classifier {
  spec: ClassifierSpec
  params: Map<string, tf.Tensor>
}

/** Wrong shapes or sizes handed to the classifier. */
export class ClassifierError extends Error {
  override name = 'ClassifierError'
}

/**
 * A fresh classifier to train: He-normal kernels (std √(2/fan-in), seeded), zero biases, each
 * a `tf.Variable`.
 * @example const c = createClassifier(DEFAULT_CLASSIFIER_SPEC, 1)
 */
export function createClassifier(spec: ClassifierSpec, seed: number): Classifier {
  const params = new Map<string, tf.Tensor>()
  classifierTensorShapes(spec).forEach(({ name, shape }, i) => {
    const fanIn = shape.slice(0, -1).reduce((a, b) => a * b, 1)
    const init = name.endsWith('.bias')
      ? tf.zeros(shape)
      : tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', seed * 16 + i)
    params.set(name, tf.variable(init))
    init.dispose()
  })
  return { spec, params }
}

/** A classifier from stored f32 arrays (checks every name and size). */
export function classifierFromArrays(
  spec: ClassifierSpec,
  arrays: Map<string, Float32Array>,
): Classifier {
  const params = new Map<string, tf.Tensor>()
  for (const { name, shape } of classifierTensorShapes(spec)) {
    const values = arrays.get(name)
    const size = shape.reduce((a, b) => a * b, 1)
    if (!values || values.length !== size) {
      tf.dispose([...params.values()])
      throw new ClassifierError(
        `Expected ${size} values for ${name}, but got ${values?.length ?? 'none'}.`,
      )
    }
    params.set(name, tf.tensor(values, shape))
  }
  return { spec, params }
}

/** Frees the classifier's tensors. */
export function disposeClassifier(c: Classifier): void {
  tf.dispose([...c.params.values()])
}

function p<R extends tf.Rank>(c: Classifier, name: string): tf.Tensor<R> {
  return c.params.get(name) as tf.Tensor<R>
}

/** Every intermediate the backward pass needs. */
interface Activations {
  x: tf.Tensor4D // [B,28,28,1]
  a1: tf.Tensor4D // [B,28,28,c1] after ReLU
  p1: tf.Tensor4D // [B,14,14,c1]
  a2: tf.Tensor4D // [B,14,14,c2] after ReLU
  flat: tf.Tensor2D // [B,49·c2]
  features: tf.Tensor2D // [B,F] after ReLU
  logits: tf.Tensor2D // [B,classes]
}

function forwardAll(c: Classifier, x: tf.Tensor4D): Activations {
  const a1 = tf.fused.conv2d({
    x,
    filter: p(c, 'conv1.kernel'),
    strides: 1,
    pad: 'same',
    bias: p(c, 'conv1.bias'),
    activation: 'relu',
  })
  const p1 = tf.maxPool(a1, 2, 2, 'valid')
  const a2 = tf.fused.conv2d({
    x: p1,
    filter: p(c, 'conv2.kernel'),
    strides: 1,
    pad: 'same',
    bias: p(c, 'conv2.bias'),
    activation: 'relu',
  })
  const p2 = tf.maxPool(a2, 2, 2, 'valid')
  const flat = tf.reshape(p2, [x.shape[0], -1]) as tf.Tensor2D
  const features = tf.fused.matMul({
    a: flat,
    b: p(c, 'dense1.kernel'),
    bias: p(c, 'dense1.bias'),
    activation: 'relu',
  }) as tf.Tensor2D
  const logits = tf.fused.matMul({
    a: features,
    b: p(c, 'dense2.kernel'),
    bias: p(c, 'dense2.bias'),
  }) as tf.Tensor2D
  return { x, a1, p1, a2, flat, features, logits }
}

/** Images `[n·784]` in [-1, 1] as an NHWC batch. */
export function toBatch(images: Float32Array, n: number): tf.Tensor4D {
  if (images.length !== n * SIDE * SIDE) {
    throw new ClassifierError(
      `Expected ${n}×784 = ${n * SIDE * SIDE} pixels, but got ${images.length}.`,
    )
  }
  return tf.tensor4d(images, [n, SIDE, SIDE, 1])
}

/**
 * Feature-layer activations `[B, features]` and logits `[B, classes]` for a batch `[B,28,28,1]`.
 * @example const { features, logits } = tf.tidy(() => classifierForward(c, x))
 */
export function classifierForward(
  c: Classifier,
  x: tf.Tensor4D,
): { features: tf.Tensor2D; logits: tf.Tensor2D } {
  const { features, logits } = forwardAll(c, x)
  return { features, logits }
}

/**
 * Max-pool 2×2 backward: dy goes to the one position per window that held the max. Uses the
 * backends' MaxPoolGrad kernel directly; an equality mask would be wrong here, because the flat
 * MNIST background gives windows of equal positive activations. [B,H,W,C]
 */
function maxPoolBackward(a: tf.Tensor4D, pooled: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor4D {
  return tf
    .engine()
    .runKernel(
      'MaxPoolGrad',
      { dy, input: a, output: pooled },
      { filterSize: 2, strides: 2, pad: 'valid' },
    ) as tf.Tensor4D
}

/** dL/dx of a stride-1 'same' conv with an odd square kernel: a conv with the flipped kernel. */
function convInputGrad(dy: tf.Tensor4D, kernel: tf.Tensor4D): tf.Tensor4D {
  const flipped = tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D
  return tf.conv2d(dy, flipped, 1, 'same')
}

/** dL/dkernel of a stride-1 'same' conv: a 'valid' conv over the batch dimension. */
function convKernelGrad(x: tf.Tensor4D, dy: tf.Tensor4D, k: number): tf.Tensor4D {
  const pad = (k - 1) / 2
  const xt = tf.transpose(
    tf.pad(x, [
      [0, 0],
      [pad, pad],
      [pad, pad],
      [0, 0],
    ]),
    [3, 1, 2, 0],
  ) as tf.Tensor4D
  const filter = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D // [H, W, B, Cout]
  return tf.transpose(tf.conv2d(xt, filter, 1, 'valid'), [1, 2, 0, 3]) // [k, k, Cin, Cout]
}

/**
 * Mean softmax cross-entropy of a batch and its gradient for every parameter (call inside
 * `tf.tidy`; `labels` are int32 class ids `[B]`).
 */
export function classifierGradients(
  c: Classifier,
  x: tf.Tensor4D,
  labels: tf.Tensor1D,
): { loss: tf.Scalar; correct: tf.Scalar; grads: Map<string, tf.Tensor> } {
  const batch = x.shape[0]
  const act = forwardAll(c, x)
  const onehot = tf.oneHot(labels, c.spec.classes)
  const logProbs = tf.logSoftmax(act.logits)
  const loss = tf.neg(tf.mean(tf.sum(tf.mul(onehot, logProbs), 1))) as tf.Scalar
  const correct = tf.sum(
    tf.cast(tf.equal(tf.argMax(act.logits, 1), labels), 'float32'),
  ) as tf.Scalar

  const grads = new Map<string, tf.Tensor>()
  const dLogits = tf.div(tf.sub(tf.exp(logProbs), onehot), batch) // [B, classes]
  grads.set('dense2.kernel', tf.matMul(tf.transpose(act.features), dLogits))
  grads.set('dense2.bias', tf.sum(dLogits, 0))
  const dFeatures = tf.matMul(dLogits, tf.transpose(p(c, 'dense2.kernel')))
  const dz3 = tf.mul(dFeatures, tf.step(act.features)) // [B, F]
  grads.set('dense1.kernel', tf.matMul(tf.transpose(act.flat), dz3))
  grads.set('dense1.bias', tf.sum(dz3, 0))
  const dp2 = tf.reshape(tf.matMul(dz3, tf.transpose(p(c, 'dense1.kernel'))), [
    batch,
    SIDE / 4,
    SIDE / 4,
    c.spec.conv2,
  ]) as tf.Tensor4D
  const p2 = tf.maxPool(act.a2, 2, 2, 'valid')
  // [B,14,14,c2]
  const dz2 = tf.mul(maxPoolBackward(act.a2, p2, dp2), tf.step(act.a2)) as tf.Tensor4D
  grads.set('conv2.kernel', convKernelGrad(act.p1, dz2, c.spec.kernel))
  grads.set('conv2.bias', tf.sum(dz2, [0, 1, 2]))
  const dp1 = convInputGrad(dz2, p(c, 'conv2.kernel')) // [B,14,14,c1]
  const dz1 = tf.mul(maxPoolBackward(act.a1, act.p1, dp1), tf.step(act.a1)) as tf.Tensor4D
  grads.set('conv1.kernel', convKernelGrad(act.x, dz1, c.spec.kernel))
  grads.set('conv1.bias', tf.sum(dz1, [0, 1, 2]))
  return { loss, correct, grads }
}

/**
 * Features `[n, F]` and class probabilities `[n, classes]` for `n` images in [-1, 1], in batches.
 * @example const { features, probs } = await classifyImages(c, images, 10000)
 */
export async function classifyImages(
  c: Classifier,
  images: Float32Array,
  n: number,
  batchSize = 500,
): Promise<{ features: Float32Array; probs: Float32Array }> {
  if (images.length !== n * SIDE * SIDE) {
    throw new ClassifierError(
      `Expected ${n}×784 = ${n * SIDE * SIDE} pixels, but got ${images.length}.`,
    )
  }
  const features = new Float32Array(n * c.spec.features)
  const probs = new Float32Array(n * c.spec.classes)
  for (let start = 0; start < n; start += batchSize) {
    const rows = Math.min(batchSize, n - start)
    const [f, pr] = tf.tidy(() => {
      const x = toBatch(images.subarray(start * SIDE * SIDE, (start + rows) * SIDE * SIDE), rows)
      const out = classifierForward(c, x)
      return [out.features, tf.softmax(out.logits)]
    })
    features.set(await f.data(), start * c.spec.features)
    probs.set(await pr.data(), start * c.spec.classes)
    tf.dispose([f, pr])
  }
  return { features, probs }
}

/** 8-bit grey pixels → classifier input range [-1, 1]. */
export function grayToInput(gray: Uint8Array): Float32Array {
  const out = new Float32Array(gray.length)
  for (let i = 0; i < gray.length; i++) out[i] = gray[i] / 127.5 - 1
  return out
}
