/**
 * @module tools/build-cpu-step
 * Writes engine/cpu/step.wat from the generator (engine/cpu/wat-module.ts) and assembles it with
 * wabt into engine/cpu/step.wasm, the binary the fused CPU step runs. Both files are committed, so
 * running the engine needs neither wabt nor the generator; test/engine/cpu-module.test.ts checks
 * that they still match.
 *
 * Run: `npm run build:cpu-step` (after editing engine/cpu/wat-*.ts).
 */
import { renameSync, writeFileSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { generateStepWat } from '../engine/cpu/wat-module'

export const STEP_WAT = fileURLToPath(new URL('../engine/cpu/step.wat', import.meta.url))
/** The WebAssembly features the module uses: SIMD, and threads (shared memory, atomics). */
const FEATURES = { simd: true, threads: true }

export const STEP_WASM = fileURLToPath(new URL('../engine/cpu/step.wasm', import.meta.url))

/**
 * Assembles the step module's text: deterministic bytes (no names section), SIMD and threads
 * (shared memory, atomics) enabled.
 * @example const bytes = await assembleStep(generateStepWat())
 */
export async function assembleStep(wat: string): Promise<Uint8Array> {
  // wabt (a dev dependency, some 2 MB) is loaded only here, never by the engine.
  const wabt = await (await import('wabt')).default()
  const module = wabt.parseWat('step.wat', wat, FEATURES)
  try {
    // wabt's typings omit validate's features argument; without it, shared memory is refused.
    ;(module as unknown as { validate(features: object): void }).validate(FEATURES)
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
  const wat = generateStepWat()
  const bytes = await assembleStep(wat)
  writeAtomic(STEP_WAT, wat)
  writeAtomic(STEP_WASM, bytes)
  console.log(`wrote ${STEP_WAT} and ${STEP_WASM} (${bytes.byteLength} bytes)`)
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    console.error(`error: ${(err as Error).message.split('\n')[0]}`)
    process.exit(1)
  })
}
