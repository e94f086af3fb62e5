/**
 * @module test/trainer/engines/webgpu-setup
 * The WebGPU tests' common start: software Vulkan from its default place (/tmp/lavapipe, as
 * `../shared/gpu/lavapipe.sh` and `.ci/software-vulkan.sh` install it) when no driver is named,
 * then the webgpu backend. Where no adapter exists the tests skip and print why.
 */
import { existsSync } from 'node:fs'
import { initBackend } from '../../../trainer/core/backend'

const LAVAPIPE_ICD = '/tmp/lavapipe/lvp_icd.json'

/**
 * Initializes the webgpu backend; returns '' when it runs, else the reason the caller's tests
 * skip (also printed, naming `what`).
 * @example const skipReason = await startWebgpu('WebGPU tests')
 */
export async function startWebgpu(what: string): Promise<string> {
  if (!process.env.VK_DRIVER_FILES && existsSync(LAVAPIPE_ICD)) {
    process.env.VK_DRIVER_FILES = LAVAPIPE_ICD
    process.env.VK_ICD_FILENAMES = LAVAPIPE_ICD
  }
  try {
    await initBackend('webgpu')
    return ''
  } catch (err) {
    const reason = (err as Error).message
    console.log(`skipping ${what}: ${reason}`)
    return reason
  }
}
