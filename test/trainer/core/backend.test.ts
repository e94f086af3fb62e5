/**
 * @module test/trainer/core/backend
 * Backend selection: `auto` explains its choice, and a missing tfjs-node says how to install it.
 */
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { BackendError, initBackend } from '../../../trainer/core/backend'
import { tf } from '../../../trainer/core/tf'

const installed = (pkg: string): boolean => {
  try {
    createRequire(import.meta.url).resolve(pkg)
    return true
  } catch {
    return false
  }
}
const hasTfjsNode = installed('@tensorflow/tfjs-node') || installed('@tensorflow/tfjs-node-gpu')

describe('initBackend', () => {
  it.skipIf(hasTfjsNode)('should pick wasm for auto without tfjs-node and say why', async () => {
    const choice = await initBackend('auto')
    expect(choice.backend).toBe('wasm')
    expect(tf.getBackend()).toBe('wasm')
    expect(choice.reason).toMatch(/tfjs-node is not installed.*webgpu/)
    // A measurement ages with every release and machine: the reason gives none.
    expect(choice.reason).not.toMatch(/\d\s*ms/)
  })

  it.skipIf(hasTfjsNode)(
    'should say how to install tfjs-node when tensorflow is asked for',
    async () => {
      const attempt = initBackend('tensorflow')
      await expect(attempt).rejects.toThrow(BackendError)
      await expect(initBackend('tensorflow')).rejects.toThrow(
        /npm i @tensorflow\/tfjs-node@4\.22\.0.*CUDA 11\.2 and cuDNN 8\.1/,
      )
    },
  )

  it('should switch between wasm and cpu', async () => {
    expect((await initBackend('cpu')).backend).toBe('cpu')
    expect(tf.getBackend()).toBe('cpu')
    expect((await initBackend('wasm')).backend).toBe('wasm')
  })
})
