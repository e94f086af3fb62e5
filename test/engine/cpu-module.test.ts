/**
 * @module test/engine/cpu-module.test
 * The committed engine/cpu/step.wat is what the generator (engine/cpu/wat-module.ts) writes, and
 * the committed step.wasm is exactly that text assembled: the binary the engine runs cannot drift
 * from the source that documents its arithmetic (rebuild both with `npm run build:cpu-step`).
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { generateStepWat } from '../../engine/cpu/wat-module'
import { assembleStep, STEP_WASM, STEP_WAT } from '../../tools/build-cpu-step'
import { loadCpuStepModule } from '../../trainer/cpu-threads'

describe('engine/cpu/step.wasm', () => {
  it('should find step.wat equal to the generator output', () => {
    expect(readFileSync(STEP_WAT, 'utf8') === generateStepWat()).toBe(true)
  })

  it('should find step.wasm equal to step.wat assembled', async () => {
    const assembled = await assembleStep(readFileSync(STEP_WAT, 'utf8'))
    expect(Buffer.from(readFileSync(STEP_WASM)).equals(Buffer.from(assembled))).toBe(true)
  })

  it('should import one shared memory and export only run', () => {
    const module = loadCpuStepModule()
    expect(WebAssembly.Module.imports(module)).toEqual([
      { module: 'env', name: 'memory', kind: 'memory' },
    ])
    expect(WebAssembly.Module.exports(module)).toEqual([{ name: 'run', kind: 'function' }])
  })
})
