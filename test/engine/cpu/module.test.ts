/**
 * @module test/engine/cpu/module
 * The committed engine/cpu/step.wat (and the opt-in FMA build's step-fma.wat) is what the generator
 * (engine/cpu/wat-module.ts) writes, and each committed .wasm is exactly its text assembled: the
 * binary the engine runs cannot drift from the source that documents its arithmetic (rebuild all
 * four with `npm run build:cpu-step`).
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { generateStepWat } from '../../../engine/cpu/wat-module'
import { assembleStep, STEP_FILES } from '../../../tools/build-cpu-step'
import { loadCpuStepModule } from '../../../trainer/engines/cpu-threads'

describe.each([
  ['step', false],
  ['step-fma', true],
] as const)('engine/cpu/%s.wasm', (_, fma) => {
  const files = STEP_FILES[fma ? 'fma' : 'plain']

  it('should find the .wat equal to the generator output', () => {
    expect(readFileSync(files.wat, 'utf8') === generateStepWat({ fma })).toBe(true)
  })

  it('should find the .wasm equal to the .wat assembled', async () => {
    const assembled = await assembleStep(readFileSync(files.wat, 'utf8'), fma)
    expect(Buffer.from(readFileSync(files.wasm)).equals(Buffer.from(assembled))).toBe(true)
  })

  it('should import one shared memory and export run and its build flag', () => {
    const module = loadCpuStepModule(fma)
    expect(WebAssembly.Module.imports(module)).toEqual([
      { module: 'env', name: 'memory', kind: 'memory' },
    ])
    expect(WebAssembly.Module.exports(module)).toEqual([
      { name: 'fma', kind: 'global' },
      { name: 'run', kind: 'function' },
    ])
  })
})

describe('the FMA build', () => {
  it('should be the plain build with relaxed multiply-adds in the products only', () => {
    const plain = generateStepWat({ fma: false })
    const fma = generateStepWat({ fma: true })
    expect(plain).not.toContain('relaxed')
    expect(fma.match(/f32x4\.relaxed_madd/g)?.length).toBeGreaterThan(100)
    // Undo each multiply-add (and the header and the build flag): the plain build remains.
    const get = String.raw`(\(local\.get \$\w+\))`
    const undone = fma
      .replace(
        new RegExp(String.raw`\(f32x4\.relaxed_madd ${get} ${get} ${get}\)`, 'g'),
        '(f32x4.add $3 (f32x4.mul $1 $2))',
      )
      .replace(
        '(global (export "fma") i32 (i32.const 1))',
        '(global (export "fma") i32 (i32.const 0))',
      )
    const body = (text: string) => text.slice(text.indexOf('(module'))
    expect(body(undone) === body(plain)).toBe(true)
  })
})
