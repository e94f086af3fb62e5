/**
 * @module shared/inference/forward
 * The generator's inference-mode forward pass: what the edge worker, the Node CLIs and the browser
 * demo run (no tfjs), deterministic to the bit across JS engines and across its two engines for
 * dense and conv layers.
 *
 * Compilation (`createGenerator`, once per model; shared/inference/compile): BatchNorm folded into the dense
 * or conv layer before it, kernels stored in blocks of 16 output units (the layout of the
 * WebAssembly kernel, shared/inference/kernel.wat), activations fused into the op before them.
 * Evaluation (`run`, per latent), all in float32, one image in NHWC order (a feature map is stored
 * row-major (h, w, c), exactly as its flat vector, so `reshape` and `flatten` move nothing):
 * - dense: each output is `((0 + w_0·x_0) + w_1·x_1) + … + w_{n−1}·x_{n−1}`, summed in input order,
 *   then `+ bias`; a quantized kernel (q8…q15) sums its stored integers the same way,
 *   `((0 + q_0·x_0) + …)`, then `·step + bias` (step: the stored one times the folded BatchNorm
 *   scale), reading half the bytes of float32 weights;
 * - conv (`same` padding): each output `(oy, ox, f)` is the same kind of sum over the taps that lie
 *   inside the input, in (ky, kx, c) order, then `+ bias`;
 * every product and every sum rounded to float32. Each op's output is stored as float32; BatchNorm
 * scale-and-shift (product rounded, then sum), activations (tanh and sigmoid via `shared/math/detmath`,
 * never Math.*), one-hot conditioning and nearest 2× upsampling run in JS.
 * The dense and conv layers run on the SIMD kernel when the caller passes its compiled module
 * (`options.kernel`), else in JS (shared/inference/float32-ops), which emulates the kernel's float32
 * arithmetic with Math.fround after every operation: the two give identical bits (JS may not fuse
 * or reorder float operations, and the kernel uses no FMA or relaxed SIMD), so the same seed makes
 * the same image everywhere.
 */
import { compile, type ConvOp, type DenseOp } from './compile'
import { activate, affine, convJs, denseJs, upsample2 } from './float32-ops'
import { tanhToGray, toGray } from './gray'
import { createKernelRunner, KERNEL_BLOCK, type KernelModule } from './kernel'
import type { DecodedWeights } from '../model/weights'

/**
 * A compiled generator: latent (and, when conditional, a class label) in, image values in
 * [-1, 1] out (for a tanh output layer).
 */
export interface Generator {
  latentDim: number
  /** Classes it is conditioned on (a `condition` layer); 0 for an unconditional generator. */
  classes: number
  /** Values per image, e.g. 784 for 28×28×1. */
  outputSize: number
  /**
   * One forward pass. Returns a new array each call.
   * @param label the class, an integer in `[0, classes)`; required exactly when `classes > 0`.
   * @throws RangeError if `z.length !== latentDim` or `label` does not fit `classes`.
   */
  run(z: Float32Array, label?: number): Float32Array
  /**
   * The same pass as 8-bit grey, exactly `toGray(run(z, label))`: the image the worker serves.
   * Faster for a tanh output, whose saturated pixels skip the tanh (shared/inference/gray).
   */
  runGray(z: Float32Array, label?: number): Uint8Array
}

/** Options for {@link createGenerator}. */
export interface GeneratorOptions {
  /**
   * The compiled WebAssembly kernel (a `WebAssembly.Module` of shared/inference/kernel.wasm) to run the
   * dense and conv layers on; without it they run in JS, with bit-identical results, slower.
   */
  kernel?: KernelModule
}

/**
 * Compile decoded weights into a generator (folds BatchNorm, re-lays kernels out), its dense and
 * conv layers on the WebAssembly kernel when `options.kernel` is given, else in JS (same bits).
 *
 * @throws WeightFormatError if a tensor the spec needs is missing or mis-sized.
 * @throws KernelError if `options.kernel` is not the module of shared/inference/kernel.wasm.
 * @example
 * const generator = createGenerator(decodeWeights(manifest, payload), { kernel: loadKernel() })
 * const image = generator.run(sampleLatent(42, generator.latentDim)) // Float32Array(784)
 */
export function createGenerator(
  weights: DecodedWeights,
  options: GeneratorOptions = {},
): Generator {
  const net = weights.manifest.model.generator
  const ops = compile(weights)
  const latentDim = net.inputs
  const outputSize = ops.length > 0 ? ops[ops.length - 1].size : latentDim
  const condition = ops.find((c) => c.op.kind === 'condition')?.op
  const classes = condition?.kind === 'condition' ? condition.classes : 0
  // The two ping-pong buffers hold the widest features, a dense layer's padded blocks, and the
  // 16 floats a kernel conv may write past its output.
  let width = latentDim
  for (const { op, size } of ops) {
    width = Math.max(width, size, op.kind === 'dense' ? op.blocks * KERNEL_BLOCK : 0)
  }
  width += KERNEL_BLOCK
  const layers = ops
    .map((c) => c.op)
    .filter((op): op is DenseOp | ConvOp => op.kind === 'dense' || op.kind === 'conv')
  let buffers: [Float32Array, Float32Array]
  let runLayer: (layer: number, from: 0 | 1) => void
  if (options.kernel !== undefined) {
    const runner = createKernelRunner(options.kernel, layers, width)
    buffers = runner.buffers
    runLayer = runner.run
  } else {
    const js: [Float32Array, Float32Array] = [new Float32Array(width), new Float32Array(width)]
    buffers = js
    runLayer = (layer, from) => {
      const op = layers[layer]
      if (op.kind === 'dense') denseJs(op, js[from], js[1 - from])
      else convJs(op, js[from], js[1 - from])
    }
  }
  /**
   * The forward pass into the ping-pong buffers; returns the one holding the output. With
   * `grayTanh`, the last op's tanh is left out: its caller maps the raw values with `tanhToGray`.
   */
  const forward = (z: Float32Array, label: number | undefined, grayTanh: boolean): 0 | 1 => {
    if (z.length !== latentDim) {
      throw new RangeError(`Expected a latent of ${latentDim} values, but got ${z.length}.`)
    }
    if (classes === 0 ? label !== undefined : !isLabel(label, classes)) {
      const want =
        classes === 0 ? 'no label (unconditional generator)' : `a label in 0..${classes - 1}`
      throw new RangeError(`Expected ${want}, but got ${label}.`)
    }
    let from: 0 | 1 = 0
    let layer = 0
    buffers[0].set(z)
    for (let i = 0; i < ops.length; i++) {
      const { op, size } = ops[i]
      if (op.kind === 'dense' || op.kind === 'conv') {
        runLayer(layer++, from) // reads buffers[from], writes the other
        from = from === 0 ? 1 : 0
      } else if (op.kind === 'upsample') {
        upsample2(op.height, op.width, op.channels, buffers[from], buffers[1 - from])
        from = from === 0 ? 1 : 0
        continue
      }
      const y = buffers[from]
      if (op.kind === 'condition') {
        const at = size - op.classes
        y.fill(0, at, size)
        y[at + label!] = 1
        continue
      }
      if (op.kind === 'affine') affine(op.scale, op.shift, y, size)
      if (!(grayTanh && i === ops.length - 1)) activate(op.fn, op.alpha, y, size)
    }
    return from
  }
  const last = ops[ops.length - 1]?.op
  const tanhOutput = last !== undefined && 'fn' in last && last.fn === 'tanh'
  return {
    latentDim,
    classes,
    outputSize,
    run(z: Float32Array, label?: number): Float32Array {
      return buffers[forward(z, label, false)].slice(0, outputSize)
    },
    runGray(z: Float32Array, label?: number): Uint8Array {
      if (!tanhOutput) return toGray(buffers[forward(z, label, false)].subarray(0, outputSize))
      return tanhToGray(buffers[forward(z, label, true)], outputSize)
    },
  }
}

function isLabel(label: number | undefined, classes: number): boolean {
  return Number.isInteger(label) && label! >= 0 && label! < classes
}
