/**
 * @module test/support/global-setup
 * Vitest's global setup (vitest.config.ts), run once in the main process before any test worker
 * starts: unpacks the npm Chromium and its SwiftShader (test/support/chromium-pack.ts), then points
 * Vulkan at SwiftShader — VK_ICD_FILENAMES / VK_DRIVER_FILES at its driver manifest, its folder
 * (with the Vulkan loader, libvulkan.so.1) in front of LD_LIBRARY_PATH. The worker processes
 * inherit this environment; it has to be there when they start, because the dynamic loader reads
 * LD_LIBRARY_PATH once per process (set later, Dawn finds no adapter).
 *
 * A driver the user named (VK_ICD_FILENAMES or VK_DRIVER_FILES, e.g. a real GPU's) is kept. With
 * that and a browser of their own (DIGIT_GAN_CHROMIUM) nothing is unpacked. When unpacking fails
 * (no package, not Linux x64), the reason is printed and left in DIGIT_GAN_PACK_ERROR for the
 * tests' own skip or strict-mode failure.
 */
import { BROWSER_ENV } from './browser'
import { PACK_ERROR_ENV, unpackChromium, vulkanEnv } from './chromium-pack'

export default async function setup(): Promise<void> {
  const userVulkan = Boolean(process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES)
  if (userVulkan && process.env[BROWSER_ENV]) return
  try {
    const pack = await unpackChromium()
    if (!userVulkan) Object.assign(process.env, vulkanEnv(pack))
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err)
    process.env[PACK_ERROR_ENV] = reason
    console.log(`no npm Chromium or SwiftShader: ${reason}`)
  }
}
