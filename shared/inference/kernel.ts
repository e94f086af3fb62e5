/**
 * @module shared/inference/kernel
 * Runs the generator's dense and conv layers on the WebAssembly SIMD kernel (shared/inference/kernel.wat,
 * assembled into shared/inference/kernel.wasm): one instance per generator, its linear memory holding the
 * weights (copied once) and the two activation buffers the layers ping-pong between.
 *
 * Runtime-free: shared/ never compiles WebAssembly itself, because Cloudflare Workers forbid
 * compiling from bytes at run time. The caller hands over the compiled module: the worker imports
 * shared/inference/kernel.wasm as a `CompiledWasm` module, Node reads and compiles the file
 * (trainer/kernel.ts), a browser compiles the fetched or bundled bytes (`WebAssembly.compile`).
 * Instantiating a compiled module synchronously is allowed everywhere (it is under 2 KB).
 */

/**
 * A compiled kernel: a `WebAssembly.Module` of shared/inference/kernel.wasm. Typed opaquely because shared/
 * is compiled without the DOM or Node types that declare WebAssembly.
 */
export type KernelModule = object

/** Units per weight block: the kernel's four f32x4 accumulators. */
export const KERNEL_BLOCK = 16

/** The module handed over is not the kernel (wrong file, or an older build lacking a function). */
export class KernelError extends Error {
  override name = 'KernelError'
}

const PAGE = 65536

/** What the kernel module exports (see shared/inference/kernel.wat). */
interface KernelExports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number }
  dense(x: number, w: number, b: number, y: number, inputs: number, blocks: number): void
  dense_q(x: number, q: number, s: number, b: number, y: number, ...sizes: number[]): void
  conv(x: number, w: number, b: number, y: number, ...geometry: number[]): void
}

/** The slice of the WebAssembly namespace used here, present in every target runtime. */
interface WasmNamespace {
  Instance: new (module: KernelModule, imports: object) => { exports: Record<string, unknown> }
}

/**
 * A dense kernel in blocks: float32 weights, or the stored integers of a quantized kernel with one
 * float32 step per output unit (zero-padded like the bias), run by `dense_q`.
 */
export type DenseWeights =
  | { weights: Float32Array; steps?: undefined }
  | { weights: Int16Array; steps: Float32Array }

/** A dense layer as the kernel reads it: `[blocks][inputs][16]` weights and padded bias. */
export type KernelDense = DenseWeights & {
  kind: 'dense'
  inputs: number
  blocks: number
  bias: Float32Array
}

/** A conv layer as the kernel reads it: `[blocks][k][k][channels][16]` weights, padded bias. */
export interface KernelConv {
  kind: 'conv'
  height: number
  width: number
  channels: number
  outHeight: number
  outWidth: number
  filters: number
  kernelSize: number
  stride: number
  top: number
  left: number
  blocks: number
  weights: Float32Array
  bias: Float32Array
}

export type KernelLayer = KernelDense | KernelConv

/** A kernel instance loaded with one generator's layers. */
export interface KernelRunner {
  /**
   * The two activation buffers, views into the instance memory, `width` floats each (a conv
   * writes up to 16 floats past its output: `width` must leave that slack).
   */
  buffers: [Float32Array, Float32Array]
  /** Layer `layer` from buffer `from` into the other buffer. */
  run(layer: number, from: 0 | 1): void
}

/**
 * Instantiates `module` and copies `layers` into its memory.
 * @param width floats per activation buffer: at least every layer's input and padded output.
 * @throws KernelError if `module` does not export the kernel's memory and functions.
 * @example const runner = createKernelRunner(module, layers, 800)
 */
export function createKernelRunner(
  module: KernelModule,
  layers: KernelLayer[],
  width: number,
): KernelRunner {
  const wasm = (globalThis as unknown as { WebAssembly: WasmNamespace }).WebAssembly
  const exports = new wasm.Instance(module, {}).exports as Partial<KernelExports>
  const { memory, dense, dense_q: denseQ, conv } = exports
  if (
    typeof dense !== 'function' ||
    typeof denseQ !== 'function' ||
    typeof conv !== 'function' ||
    typeof memory?.grow !== 'function'
  ) {
    throw new KernelError('Expected the kernel module (shared/inference/kernel.wasm), but got another.')
  }
  // Byte offsets, all 16-byte aligned: buffers first, then each layer's weights, steps and bias.
  const bufferBytes = align16(width * 4)
  let end = 2 * bufferBytes
  const pointers = layers.map((layer) => {
    const w = end
    const s = w + align16(layer.weights.byteLength)
    const b = s + align16(layer.kind === 'dense' ? (layer.steps?.byteLength ?? 0) : 0)
    end = b + align16(layer.bias.byteLength)
    return { w, s, b }
  })
  const pages = Math.ceil(end / PAGE) - memory.buffer.byteLength / PAGE
  if (pages > 0) memory.grow(pages) // detaches the old buffer: views are made after this
  const heap = memory.buffer
  layers.forEach((layer, i) => {
    const { w, s, b } = pointers[i]
    if (layer.weights instanceof Int16Array) {
      new Int16Array(heap, w, layer.weights.length).set(layer.weights)
    } else {
      new Float32Array(heap, w, layer.weights.length).set(layer.weights)
    }
    if (layer.kind === 'dense' && layer.steps) {
      new Float32Array(heap, s, layer.steps.length).set(layer.steps)
    }
    new Float32Array(heap, b, layer.bias.length).set(layer.bias)
  })
  const offsets = [0, bufferBytes] as const
  return {
    buffers: [new Float32Array(heap, 0, width), new Float32Array(heap, bufferBytes, width)],
    run(i, from) {
      const { w, s, b } = pointers[i]
      const layer = layers[i]
      if (layer.kind === 'dense') {
        const [x, y] = [offsets[from], offsets[1 - from]]
        if (layer.steps) denseQ(x, w, s, b, y, layer.inputs, layer.blocks)
        else dense(x, w, b, y, layer.inputs, layer.blocks)
        return
      }
      const { height, width, channels, outHeight, outWidth, filters, kernelSize } = layer
      const { stride, top, left, blocks } = layer
      conv(
        offsets[from],
        w,
        b,
        offsets[1 - from],
        height,
        width,
        channels,
        outHeight,
        outWidth,
        filters,
        kernelSize,
        stride,
        top,
        left,
        blocks,
      )
    },
  }
}

function align16(bytes: number): number {
  return (bytes + 15) & ~15
}
