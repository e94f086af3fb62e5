/**
 * @module trainer/kernel
 * The WebAssembly dense kernel for Node: `loadKernel()` compiles the committed shared/inference/kernel.wasm
 * for `createGenerator(weights, { kernel })`, and `assembleKernel()` turns shared/inference/kernel.wat into
 * those bytes with wabt. Run as a script, it rewrites shared/inference/kernel.wasm from the .wat.
 *
 * Run: `npm run build:kernel` (after editing shared/inference/kernel.wat; a test checks the two agree).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { KernelModule } from '../shared/inference/kernel'
import { runMain } from './cli'
import { isEntry } from './entry'

/** The committed kernel binary. */
export const KERNEL_WASM = fileURLToPath(new URL('../shared/inference/kernel.wasm', import.meta.url))
/** Its source. */
export const KERNEL_WAT = fileURLToPath(new URL('../shared/inference/kernel.wat', import.meta.url))

let compiled: WebAssembly.Module | undefined

/**
 * The compiled kernel module, read and compiled once per process.
 * @example const generator = createGenerator(readArtifact(dir), { kernel: loadKernel() })
 */
export function loadKernel(): KernelModule {
  compiled ??= new WebAssembly.Module(readFileSync(KERNEL_WASM))
  return compiled
}

/**
 * Assembles `wat` (the text of shared/inference/kernel.wat) into a wasm binary: deterministic bytes, no
 * names section, so that the committed .wasm is exactly this function of the .wat.
 * @example writeFileSync(KERNEL_WASM, await assembleKernel(readFileSync(KERNEL_WAT, 'utf8')))
 */
export async function assembleKernel(wat: string): Promise<Uint8Array> {
  // wabt (a dev dependency, some 2 MB) is loaded only here, never by the CLIs that run the kernel.
  const wabt = await (await import('wabt')).default()
  const module = wabt.parseWat('kernel.wat', wat, { simd: true })
  try {
    module.validate()
    return module.toBinary({ log: false, write_debug_names: false }).buffer
  } finally {
    module.destroy()
  }
}

if (isEntry(import.meta.url, 'kernel')) {
  runMain(async () => {
    const bytes = await assembleKernel(readFileSync(KERNEL_WAT, 'utf8'))
    writeFileSync(KERNEL_WASM, bytes)
    console.log(`wrote ${KERNEL_WASM} (${bytes.byteLength} bytes)`)
  })
}
