/**
 * @module trainer/core/adam
 * Adam (Kingma & Ba, 2015) with PyTorch's update rule, kept in our own variables so a checkpoint
 * can save and restore it exactly.
 *
 * Why not `tf.train.adam`: it tracks β^t as a running float32 product and its `setWeights`
 * recomputes it with `pow`, so a resumed run drifts from the uninterrupted one; it also matches
 * slots to variables by position. Here the step count `t` is a plain number and the bias
 * corrections are computed in float64 each step, so state = (t, m, v) restores bit-exactly.
 *
 *   m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²,
 *   θ ← θ − lr · (m / (1−β1^t)) / (sqrt(v / (1−β2^t)) + ε)
 */
import { tf } from './tf'
import { adamStepWebgpu } from './webgpu-kernels'

/** Adam hyperparameters. ε defaults to 1e-7 (Keras; PyTorch uses 1e-8). */
export interface AdamOptions {
  lr: number
  beta1: number
  beta2: number
  epsilon?: number
}

/** Adam over a fixed list of variables. */
export class Adam {
  /** Updates applied so far. */
  t = 0
  readonly m: tf.Variable[]
  readonly v: tf.Variable[]
  readonly epsilon: number

  constructor(
    readonly variables: tf.Variable[],
    readonly options: AdamOptions,
  ) {
    this.epsilon = options.epsilon ?? 1e-7
    this.m = variables.map((x) => tf.variable(tf.zerosLike(x), false))
    this.v = variables.map((x) => tf.variable(tf.zerosLike(x), false))
  }

  /** Applies one update; `grads[i]` belongs to `variables[i]` (null/undefined: no update). */
  apply(grads: (tf.Tensor | null | undefined)[]): void {
    const { lr, beta1, beta2 } = this.options
    this.t += 1
    const c1 = 1 - beta1 ** this.t
    const c2 = 1 - beta2 ** this.t
    // On webgpu the same formula runs as 3 fused dispatches per variable instead of 13 tfjs ops
    // (trainer/core/webgpu-kernels.ts); wasm and cpu keep the op chain below, bit for bit.
    const fused = tf.getBackend() === 'webgpu'
    tf.tidy(() => {
      this.variables.forEach((x, i) => {
        const g = grads[i]
        if (!g) return
        if (fused) {
          const p = { beta1, beta2, stepSize: lr / c1, c2, epsilon: this.epsilon }
          const [x1, m1, v1] = adamStepWebgpu(x, g, this.m[i], this.v[i], p)
          this.m[i].assign(m1)
          this.v[i].assign(v1)
          x.assign(x1)
          return
        }
        const m = tf.add(tf.mul(this.m[i], beta1), tf.mul(g, 1 - beta1))
        const v = tf.add(tf.mul(this.v[i], beta2), tf.mul(tf.square(g), 1 - beta2))
        this.m[i].assign(m)
        this.v[i].assign(v)
        const denom = tf.add(tf.sqrt(tf.div(v, c2)), this.epsilon)
        x.assign(tf.sub(x, tf.div(tf.mul(m, lr / c1), denom)))
      })
    })
  }

  /** Frees the moment variables. */
  dispose(): void {
    for (const x of [...this.m, ...this.v]) x.dispose()
  }
}
