/**
 * @module trainer/core/webgpu-kernels
 * Hand-written WebGPU programs for the hot spots tfjs runs as chains of tiny kernels.
 *
 * Why: on the webgpu backend every tfjs op is one dispatch, one uniform upload and one bind group,
 * and every number literal in an op (`tf.mul(m, beta1)`) is a scalar tensor uploaded through a
 * freshly created staging buffer. Adam written with tfjs ops costs 13 dispatches and 7 scalar
 * uploads per variable; the three programs here cost 3 dispatches and no uploads (the
 * hyperparameters travel in the uniforms tfjs writes anyway).
 *
 * The programs run through the backend's own `runWebGPUProgram`, so their outputs are ordinary
 * tfjs tensors (tracked by `tf.tidy`, assignable to variables). Only trainer/core/adam.ts calls them,
 * and only when the active backend is webgpu; wasm and cpu never reach this file.
 */
import { tf } from './tf'

/** The subset of tfjs-backend-webgpu's `WebGPUProgram` these programs fill in. */
interface Program {
  outputShape: number[]
  shaderKey: string
  dispatchLayout: { x: number[] }
  dispatch: [number, number, number]
  variableNames: string[]
  workgroupSize: [number, number, number]
  size: boolean
  uniforms: string
  getUserCode(): string
}

type Uniform = { type: 'float32'; data: number[] }

interface WebgpuBackendLike {
  runWebGPUProgram(
    program: Program,
    inputs: tf.TensorInfo[],
    dtype: 'float32',
    uniforms: Uniform[],
  ): tf.TensorInfo
}

const WORKGROUP = 64

/**
 * An elementwise program over same-shaped float32 inputs: `body` is WGSL that reads the inputs as
 * `NAME[index]` and the named f32 `params` as `uniforms.NAME`, and assigns `out`.
 */
function elementwise(
  key: string,
  inputs: string[],
  params: string[],
  body: string,
  shape: number[],
): Program {
  const n = shape.reduce((a, b) => a * b, 1)
  return {
    outputShape: shape,
    shaderKey: `digitgan_${key}`,
    dispatchLayout: { x: shape.map((_, i) => i) },
    dispatch: [Math.ceil(n / WORKGROUP), 1, 1],
    variableNames: inputs,
    workgroupSize: [WORKGROUP, 1, 1],
    size: true,
    uniforms: params.map((p) => `${p} : f32,`).join(' '),
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          var out : f32;
          ${body}
          setOutputAtIndex(index, out);
        }
      }
    `,
  }
}

function run(program: Program, inputs: tf.Tensor[], params: number[]): tf.Tensor {
  const backend = tf.backend() as unknown as WebgpuBackendLike
  const uniforms: Uniform[] = params.map((p) => ({ type: 'float32', data: [p] }))
  const info = backend.runWebGPUProgram(program, inputs, 'float32', uniforms)
  return tf.engine().makeTensorFromTensorInfo(info)
}

/** Adam's hyperparameters for one step, with the bias corrections already folded in. */
export interface AdamStepParams {
  beta1: number
  beta2: number
  /** `lr / (1 − β1^t)`. */
  stepSize: number
  /** `1 − β2^t`. */
  c2: number
  epsilon: number
}

/**
 * One Adam update of variable `x` with gradient `g` and moments `m`, `v` on the webgpu backend:
 * the same formula as trainer/core/adam.ts, in three dispatches. Returns the new `[x, m, v]`.
 */
export function adamStepWebgpu(
  x: tf.Tensor,
  g: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  p: AdamStepParams,
): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const shape = x.shape
  const m1 = run(
    elementwise(
      'adam_m',
      ['M', 'G'],
      ['b', 'c'],
      'out = M[index] * uniforms.b + G[index] * uniforms.c;',
      shape,
    ),
    [m, g],
    [p.beta1, 1 - p.beta1],
  )
  const v1 = run(
    elementwise(
      'adam_v',
      ['V', 'G'],
      ['b', 'c'],
      'let gi = G[index]; out = V[index] * uniforms.b + (gi * gi) * uniforms.c;',
      shape,
    ),
    [v, g],
    [p.beta2, 1 - p.beta2],
  )
  const x1 = run(
    elementwise(
      'adam_x',
      ['X', 'M', 'V'],
      ['lr', 'c2', 'eps'],
      'out = X[index] - M[index] * uniforms.lr / (sqrt(V[index] / uniforms.c2) + uniforms.eps);',
      shape,
    ),
    [x, m1, v1],
    [p.stepSize, p.c2, p.epsilon],
  )
  return [x1, m1, v1]
}
