/**
 * @module tools/build-cpu-step
 * Writes engine/cpu/step.wat from the generator (engine/cpu/wat-module.ts) and assembles it with
 * wabt into engine/cpu/step.wasm, the binary the fused CPU step runs; likewise step-fma.wat/.wasm,
 * the opt-in build whose products use relaxed SIMD's multiply-add. All four files are committed,
 * so running the engine needs neither wabt nor the generator; test/engine/cpu/module.test.ts checks
 * that they still match.
 *
 * Run: `npm run build:cpu-step` (after editing engine/cpu/wat-*.ts).
 */
import { renameSync, writeFileSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { generateStepWat } from '../engine/cpu/wat-module'

/** The source and binary of each build. */
export const STEP_FILES = {
  plain: {
    wat: fileURLToPath(new URL('../engine/cpu/step.wat', import.meta.url)),
    wasm: fileURLToPath(new URL('../engine/cpu/step.wasm', import.meta.url)),
  },
  fma: {
    wat: fileURLToPath(new URL('../engine/cpu/step-fma.wat', import.meta.url)),
    wasm: fileURLToPath(new URL('../engine/cpu/step-fma.wasm', import.meta.url)),
  },
} as const

/**
 * The WebAssembly features the module uses: SIMD, threads (shared memory, atomics), and relaxed
 * SIMD in the FMA build only.
 */
const features = (fma: boolean) => ({ simd: true, threads: true, relaxed_simd: fma })

/**
 * Assembles a step module's text: deterministic bytes (no names section).
 * @example const bytes = await assembleStep(generateStepWat({ fma: false }), false)
 */
export async function assembleStep(wat: string, fma: boolean): Promise<Uint8Array> {
  // wabt (a dev dependency, some 2 MB) is loaded only here, never by the engine.
  const wabt = await (await import('wabt')).default()
  const module = wabt.parseWat('step.wat', wat, features(fma))
  try {
    // wabt's typings omit validate's features argument; without it, shared memory is refused.
    ;(module as unknown as { validate(features: object): void }).validate(features(fma))
    return module.toBinary({ log: false, write_debug_names: false }).buffer
  } finally {
    module.destroy()
  }
}

/** Writes `path` by rename, so a reader never sees half a file. */
function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, data)
  renameSync(tmp, path)
}

async function main(): Promise<void> {
  for (const fma of [false, true]) {
    const files = STEP_FILES[fma ? 'fma' : 'plain']
    const wat = generateStepWat({ fma })
    const bytes = await assembleStep(wat, fma)
    writeAtomic(files.wat, wat)
    writeAtomic(files.wasm, bytes)
    console.log(`wrote ${files.wat} and ${files.wasm} (${bytes.byteLength} bytes)`)
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    console.error(`error: ${(err as Error).message.split('\n')[0]}`)
    process.exit(1)
  })
}
