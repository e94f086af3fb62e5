/**
 * @module test/trainer/kernel
 * The committed shared/inference/kernel.wasm is exactly what shared/inference/kernel.wat assembles to, so the binary
 * the worker and the CLIs run cannot drift from the source that documents its arithmetic.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { assembleKernel, KERNEL_WASM, KERNEL_WAT, loadKernel } from '../../trainer/kernel'

describe('trainer/kernel', () => {
  it('should find kernel.wasm equal to kernel.wat assembled (npm run build:kernel)', async () => {
    const assembled = await assembleKernel(readFileSync(KERNEL_WAT, 'utf8'))
    expect(Buffer.from(readFileSync(KERNEL_WASM)).equals(Buffer.from(assembled))).toBe(true)
  })

  it('should load a module exporting the memory and the dense, dense_q and conv functions', () => {
    const exports = WebAssembly.Module.exports(loadKernel() as WebAssembly.Module)
    expect(exports).toEqual([
      { name: 'memory', kind: 'memory' },
      { name: 'dense', kind: 'function' },
      { name: 'dense_q', kind: 'function' },
      { name: 'conv', kind: 'function' },
    ])
  })
})
