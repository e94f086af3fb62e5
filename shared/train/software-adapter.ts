/**
 * @module shared/train/software-adapter
 * Whether a WebGPU adapter is a CPU implementation (SwiftShader, llvmpipe/lavapipe, WARP) rather
 * than a GPU: on one, the fused WebGPU step is far slower than the fused WebAssembly step, so an
 * automatic choice passes it over. `npm run train -- --backend auto` (trainer/engines/dawn.ts)
 * and the browser training page (web/train/engines.ts) decide with this one function.
 */

/** The GPUAdapterInfo fields read (`type` is Dawn's adapter type, where it reports one). */
export interface AdapterInfoLike {
  vendor?: string
  architecture?: string
  description?: string
  device?: string
  isFallbackAdapter?: boolean
  type?: string
}

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|software|warp|basic render|\bcpu\b/i

/**
 * Whether adapter `info` is a CPU implementation of WebGPU: flagged as a fallback adapter, or
 * named like one (Dawn does not flag every software Vulkan driver).
 * @example isSoftwareAdapter({ vendor: 'google', architecture: 'swiftshader' }) // true
 */
export function isSoftwareAdapter(info: AdapterInfoLike): boolean {
  if (info.isFallbackAdapter || info.type === 'cpu') return true
  const names = [info.vendor, info.architecture, info.description, info.device]
  return names.some((n) => typeof n === 'string' && SOFTWARE.test(n))
}
