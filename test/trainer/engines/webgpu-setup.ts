/**
 * @module test/trainer/engines/webgpu-setup
 * The WebGPU tests' common start: the webgpu backend on whatever Vulkan driver the environment
 * names — by default SwiftShader from the npm Chromium package, which the global setup
 * (test/support/global-setup.ts) unpacks and exports before the test workers start; a driver the
 * user named with VK_ICD_FILENAMES or VK_DRIVER_FILES (e.g. a real GPU's) wins. Where no adapter
 * exists the tests skip and print why — or fail, with DIGIT_GAN_STRICT=1 (CI).
 */
import { initBackend } from '../../../trainer/core/backend'
import { PACK_ERROR_ENV } from '../../support/chromium-pack'
import { unavailable } from '../../support/strict'

/**
 * The WebGPU tests' time-out: SwiftShader compiles every shader tfjs makes on the CPU, which takes
 * well over the default minute per test on a busy 2-core machine (80 s seen for 3 steps at a load
 * average of 12). Only a guard against a hang; nothing asserts a duration.
 */
export const WEBGPU_TIMEOUT_MS = 300_000

/**
 * Initializes the webgpu backend; returns '' when it runs, else the reason the caller's tests
 * skip (also printed, naming `what`).
 * @throws Error in strict mode when no adapter exists.
 * @example const skipReason = await startWebgpu('WebGPU tests')
 */
export async function startWebgpu(what: string): Promise<string> {
  try {
    await initBackend('webgpu')
    return ''
  } catch (err) {
    const packError = process.env[PACK_ERROR_ENV]
    const reason = (err as Error).message + (packError ? ` (software Vulkan: ${packError})` : '')
    return unavailable(what, reason)
  }
}
