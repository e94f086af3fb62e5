/**
 * @module trainer/engines/dawn
 * The WebGPU backend in Node: Dawn from the `webgpu` npm package under tfjs-backend-webgpu.
 *
 * Two traps this module closes:
 * - WebGPU validation errors do not throw; tfjs would keep running on garbage (the loss sits at
 *   ln 2 forever). We listen for `uncapturederror` on the device and `assertWebgpuHealthy()`
 *   turns the first one into a thrown BackendError that the training loop surfaces.
 * - Every tensor must fit the adapter's `maxStorageBufferBindingSize` (128 MiB on lavapipe);
 *   `webgpuLimits()` exposes it so callers can refuse batches that would not fit.
 *
 * Two host-overhead cuts (counts per GAN step in docs/gpu.md, measured with
 * trainer/engines/webgpu-counters.ts):
 * - Uploads go through `queue.writeBuffer` into a pooled buffer. tfjs instead creates a fresh
 *   mapped staging buffer for every CPU-side tensor it uploads (each number literal in an op is
 *   one), and `createBuffer` was 15 % of an H100 CPU profile.
 * - tfjs submits a command buffer every `WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE` dispatches (15).
 *   A step has a few hundred dispatches and only reads back its losses, so one submit per read-back
 *   is enough.
 */
import { BackendError, type BackendChoice } from '../core/backends'
import { tf } from '../core/tf'
import { isSoftwareAdapter, type AdapterInfoLike } from '../../shared/train/software-adapter'

/** Structural view of the few GPUDevice members we touch (the DOM types are not in our lib). */
interface DeviceLike {
  limits: { maxStorageBufferBindingSize: number; maxBufferSize: number }
  lost?: Promise<{ message: string }>
  addEventListener(
    type: 'uncapturederror',
    listener: (event: { error: { message: string } }) => void,
  ): void
}

// The software-adapter check is shared with the browser training page.
export { isSoftwareAdapter, type AdapterInfoLike }

/** Dispatches per submit: above a step's count, so tfjs submits only when it reads back. */
const SUBMIT_BATCH = 1000

/** The tfjs-backend-webgpu internals `uploadViaWriteBuffer` replaces (4.22.0). */
interface BackendInternals {
  queue: { writeBuffer(buffer: unknown, offset: number, data: ArrayBufferView): void }
  bufferManager: { acquireBuffer(size: number, usage: number): { size: number } }
  tensorMap: {
    get(dataId: object): {
      dtype: string
      shape: number[]
      values: ArrayLike<number> | null
      resource: unknown
    }
  }
  uploadToGPU(dataId: object): void
}

const patched = new WeakSet<object>()

/**
 * Makes the backend upload CPU-side tensor data with `queue.writeBuffer` into a buffer from its
 * pool, instead of a newly created mapped staging buffer per upload. The same ordering guarantee
 * tfjs already relies on for its uniforms: pooled buffers are free of unsubmitted work, and queue
 * writes land before the next submit.
 */
function uploadViaWriteBuffer(backend: BackendInternals): void {
  if (patched.has(backend)) return
  patched.add(backend)
  const original = backend.uploadToGPU.bind(backend)
  const usage = 0x80 | 0x04 | 0x08 // STORAGE | COPY_SRC | COPY_DST, as tfjs allocates tensors
  backend.uploadToGPU = (dataId) => {
    const data = backend.tensorMap.get(dataId)
    const float = data.dtype === 'float32'
    const int = data.dtype === 'int32' || data.dtype === 'bool'
    if (data.resource != null || data.values == null || !(float || int)) return original(dataId)
    const values = float
      ? data.values instanceof Float32Array
        ? data.values
        : Float32Array.from(data.values)
      : data.values instanceof Int32Array
        ? data.values
        : Int32Array.from(data.values)
    const buffer = backend.bufferManager.acquireBuffer(values.byteLength, usage)
    backend.queue.writeBuffer(buffer, 0, values)
    data.values = null // as tfjs does: once uploaded, the GPU copy is the tensor
    data.resource = buffer
  }
}

let firstError: string | undefined
const armed = new WeakSet<object>()
let limits: { maxStorageBufferBindingSize: number; maxBufferSize: number } | undefined

/** Installs Dawn as `navigator.gpu`; must run before tfjs-backend-webgpu is imported. */
async function installDawn(): Promise<void> {
  const g = globalThis as unknown as { navigator?: { gpu?: unknown } }
  if (g.navigator?.gpu) return
  let dawn: { create(options: string[]): unknown; globals: object }
  try {
    dawn = (await import('webgpu')) as unknown as typeof dawn
  } catch (err) {
    throw new BackendError(
      `Expected the 'webgpu' package (Dawn) to load, but got: ${(err as Error).message}`,
      {
        cause: err,
      },
    )
  }
  Object.assign(globalThis, dawn.globals)
  const gpu = dawn.create([])
  // Node 20 has no global navigator; Node 21+ has a read-only one, so define rather than assign.
  if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true })
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true })
}

/** A WebGPU adapter as `--backend auto` sees it. */
export interface AdapterSummary {
  /** Vendor, architecture and description, e.g. `nvidia hopper …`. */
  name: string
  /** A CPU implementation (SwiftShader, llvmpipe/lavapipe, WARP), not a GPU. */
  software: boolean
}

function adapterName(info: AdapterInfoLike): string {
  return [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'unknown'
}

/**
 * The adapter Dawn would give tfjs, without starting the webgpu backend; undefined when there is
 * none (no Vulkan driver, or the `webgpu` package does not load here).
 */
export async function findAdapter(): Promise<AdapterSummary | undefined> {
  try {
    await installDawn()
  } catch {
    return undefined
  }
  const gpu = (
    globalThis as unknown as { navigator: { gpu: { requestAdapter(): Promise<unknown> } } }
  ).navigator.gpu
  const adapter = (await gpu.requestAdapter()) as {
    info?: AdapterInfoLike
    isFallbackAdapter?: boolean
  } | null
  if (!adapter) return undefined
  const info = { ...adapterInfo(adapter.info), isFallbackAdapter: isFallback(adapter) }
  return { name: adapterName(info), software: isSoftwareAdapter(info) }
}

/** GPUAdapterInfo exposes getters on its prototype: copy the fields we read. */
function adapterInfo(info: AdapterInfoLike | undefined): AdapterInfoLike {
  if (!info) return {}
  const { vendor, architecture, description, device, type } = info
  return { vendor, architecture, description, device, type }
}

function isFallback(adapter: { info?: AdapterInfoLike; isFallbackAdapter?: boolean }): boolean {
  return adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false
}

/**
 * Initializes tfjs-backend-webgpu on Dawn and arms the validation-error trap.
 * Throws BackendError when no adapter exists (e.g. no Vulkan driver).
 */
export async function initWebgpu(): Promise<BackendChoice> {
  await installDawn()
  const gpu = (
    globalThis as unknown as { navigator: { gpu: { requestAdapter(): Promise<unknown> } } }
  ).navigator.gpu
  const adapter = (await gpu.requestAdapter()) as {
    info?: AdapterInfoLike
    isFallbackAdapter?: boolean
  } | null
  if (!adapter) {
    throw new BackendError(
      'Expected a WebGPU adapter for --backend webgpu, but Dawn found none (no Vulkan driver?); ' +
        'use --backend wasm, or on a CPU-only machine try software Vulkan (lavapipe).',
    )
  }
  await import('@tensorflow/tfjs-backend-webgpu')
  if (!(await tf.setBackend('webgpu'))) {
    throw new BackendError('Expected the webgpu backend to initialize, but it did not.')
  }
  tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', SUBMIT_BATCH)
  uploadViaWriteBuffer(tf.backend() as unknown as BackendInternals)
  const device = (tf.backend() as unknown as { device: DeviceLike }).device
  firstError = undefined
  if (!armed.has(device)) {
    armed.add(device) // tfjs keeps one device per process; listen on it once
    device.addEventListener('uncapturederror', (event) => {
      firstError ??= event.error.message
    })
    void device.lost?.then((info) => {
      firstError ??= `device lost: ${info.message}`
    })
  }
  // GPUSupportedLimits exposes getters on its prototype: spreading it would copy nothing.
  limits = {
    maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
    maxBufferSize: device.limits.maxBufferSize,
  }
  const info = { ...adapterInfo(adapter.info), isFallbackAdapter: isFallback(adapter) }
  const mib = Math.floor(limits.maxStorageBufferBindingSize / 2 ** 20)
  const software = isSoftwareAdapter(info) ? ' (software)' : ''
  return {
    backend: 'webgpu',
    reason: `adapter ${adapterName(info)}${software}, max storage binding ${mib} MiB`,
  }
}

/** Throws the first WebGPU validation error or device loss seen so far, if any. */
export function assertWebgpuHealthy(): void {
  if (firstError !== undefined) {
    throw new BackendError(
      `WebGPU reported an error, results are invalid: ${firstError.split('\n')[0]}`,
    )
  }
}

/** The device's buffer limits, or undefined before `initWebgpu`. */
export function webgpuLimits():
  | { maxStorageBufferBindingSize: number; maxBufferSize: number }
  | undefined {
  return limits
}
