/**
 * @module trainer/core/backend
 * Backend selection for the one tfjs instance (trainer/core/tf.ts).
 *
 * Backends, fastest first for this MLP on the machines we measured:
 * - `tensorflow`: `@tensorflow/tfjs-node-gpu`, else `@tensorflow/tfjs-node` (optional peer
 *   dependencies, imported only when installed, never installed implicitly).
 * - `wasm`: XNNPACK with SIMD, the default CPU path (~30× faster than `cpu` here).
 * - `webgpu`: Dawn through the `webgpu` npm package (see trainer/engines/dawn.ts). For the tutorial
 *   MLPs the fused step (engine/webgpu/fused-step.ts) runs whole steps on the device; through the
 *   tfjs ops per-dispatch overhead dominates (H100: ~295 ms/step vs wasm ~143 ms/step).
 *
 * `auto` asks the hardware rather than guessing: on a machine with a GPU it times both paths
 * (a probe the training run passes in) and keeps the faster.
 * - `cpu`: pure JavaScript, the last resort (and the reference for gradient tests).
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { BACKENDS, BackendError, type BackendChoice, type BackendName } from './backends'
import { tf } from './tf'

export { BACKENDS, BackendError, type BackendChoice, type BackendName }

const require = createRequire(import.meta.url)

const TFJS_NODE_HINT =
  'npm i @tensorflow/tfjs-node@4.22.0 (CPU, needs network access to download libtensorflow) or ' +
  'npm i @tensorflow/tfjs-node-gpu@4.22.0 (needs CUDA 11.2 and cuDNN 8.1)'

/** True when a package can be resolved from here, without loading it. */
function installed(pkg: string): boolean {
  try {
    require.resolve(pkg)
    return true
  } catch {
    return false
  }
}

/** Loads tfjs-node(-gpu), which registers the `tensorflow` backend on our tfjs-core instance. */
async function initTensorflow(): Promise<BackendChoice> {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    if (!installed(pkg)) continue
    try {
      // A variable specifier keeps TypeScript and bundlers from requiring the optional package.
      const specifier: string = pkg
      await import(specifier)
    } catch (err) {
      throw new BackendError(`Expected ${pkg} to load, but got: ${(err as Error).message}`, {
        cause: err,
      })
    }
    if (!(await tf.setBackend('tensorflow'))) {
      throw new BackendError(`Expected ${pkg} to register the tensorflow backend, but it did not.`)
    }
    return { backend: 'tensorflow', reason: `${pkg} is installed` }
  }
  throw new BackendError(
    `Expected @tensorflow/tfjs-node or -gpu for --backend tensorflow, but neither is installed: ${TFJS_NODE_HINT}.`,
  )
}

/** Registers the wasm backend with its .wasm binaries loaded from node_modules. */
async function initWasm(): Promise<BackendChoice> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm')
  const dist = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')
  // A plain file path with a trailing slash: the Node build reads the binaries with fs.
  wasm.setWasmPaths(`${dist}/`)
  if (!(await tf.setBackend('wasm'))) {
    throw new BackendError('Expected the wasm backend to initialize, but it did not.')
  }
  const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT')
  return { backend: 'wasm', reason: `XNNPACK${simd ? ' with SIMD' : ' without SIMD'}` }
}

async function initCpu(): Promise<BackendChoice> {
  await tf.setBackend('cpu')
  return { backend: 'cpu', reason: 'pure JavaScript (slow; use wasm unless debugging)' }
}

/**
 * Times the GPU against the CPU for `--backend auto` on a machine with a hardware WebGPU adapter
 * (`adapter`: its name), leaves the faster backend initialized and says why in one line
 * (trainer/engines/create.ts's `probeBackends` does this for a training run).
 */
export type BackendProbe = (adapter: string) => Promise<BackendChoice>

/**
 * Selects and initializes a backend. `auto` takes tensorflow when installed; else, given a
 * `probe` and a hardware WebGPU adapter (not SwiftShader, llvmpipe or another CPU
 * implementation), whichever of the GPU and the CPU path the probe finds faster; else wasm.
 * Throws BackendError with an install hint when the requested backend is unavailable.
 * @example const { backend, reason } = await initBackend('auto') // { backend: 'wasm', reason: '…' }
 */
export async function initBackend(name: BackendName, probe?: BackendProbe): Promise<BackendChoice> {
  switch (name) {
    case 'tensorflow':
      return initTensorflow()
    case 'webgpu': {
      const { initWebgpu } = await import('../engines/dawn')
      return initWebgpu()
    }
    case 'wasm':
      return initWasm()
    case 'cpu':
      return initCpu()
    case 'auto': {
      if (installed('@tensorflow/tfjs-node-gpu') || installed('@tensorflow/tfjs-node')) {
        const choice = await initTensorflow()
        return { backend: choice.backend, reason: `auto: ${choice.reason}` }
      }
      let why = 'tfjs-node is not installed'
      if (probe) {
        const { findAdapter } = await import('../engines/dawn')
        const adapter = await findAdapter()
        if (adapter && !adapter.software) {
          try {
            return await probe(adapter.name)
          } catch (err) {
            why = `the GPU probe on ${adapter.name} failed (${(err as Error).message.split('\n')[0]})`
          }
        } else {
          why = adapter
            ? `the only WebGPU adapter, ${adapter.name}, runs on the CPU`
            : 'no WebGPU adapter'
        }
      }
      const choice = await initWasm()
      return {
        backend: 'wasm',
        reason:
          `auto: ${why}; wasm (${choice.reason}); ` + 'pass --backend webgpu to use a GPU anyway',
      }
    }
    default:
      throw new BackendError(`Expected one of ${BACKENDS.join(', ')}, but got '${name as string}'.`)
  }
}
