/**
 * @module test/trainer/engines/dawn
 * The WebGPU path (Dawn): a few training steps agree with wasm, and a GPU validation error aborts
 * instead of silently corrupting the run. Without a GPU it runs on SwiftShader's software Vulkan
 * from npm (test/trainer/engines/webgpu-setup.ts); skips, saying why, where no adapter exists, and fails
 * instead with DIGIT_GAN_STRICT=1 (CI).
 */
import { afterAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../../trainer/config'
import { BatchSampler, gatherBatch } from '../../../trainer/run/data'
import { createGan, discriminatorStep, disposeGan, generatorStep } from '../../../trainer/core/gan'
import { BackendError, initBackend } from '../../../trainer/core/backend'
import { tf } from '../../../trainer/core/tf'
import { syntheticMnist } from '../fixtures'
import { startWebgpu, WEBGPU_TIMEOUT_MS } from './webgpu-setup'

const skipReason = await startWebgpu('WebGPU tests')

const config = { ...DEFAULT_CONFIG, batch: 16, seed: 4 }
const data = syntheticMnist(32)

async function losses(steps: number): Promise<number[]> {
  const gan = createGan(config)
  const sampler = new BatchSampler(32, 16, config.seed)
  const out: number[] = []
  for (let step = 0; step < steps; step++) {
    const real = tf.tensor2d(gatherBatch(data.images, sampler.indices(step)), [16, 784])
    const d = await discriminatorStep(gan, real, step)
    real.dispose()
    out.push(d.dLoss, d.dAcc, (await generatorStep(gan, step)).gLoss)
  }
  disposeGan(gan)
  return out
}

afterAll(async () => {
  await initBackend('wasm')
})

describe.skipIf(skipReason !== '')('webgpu', { timeout: WEBGPU_TIMEOUT_MS }, () => {
  it('should agree with wasm within 1e-4 over 3 steps', async () => {
    await initBackend('webgpu')
    const gpu = await losses(3)
    await initBackend('wasm')
    const cpu = await losses(3)
    // Same seeds and data; only float summation order differs between the two backends.
    for (let i = 0; i < gpu.length; i++) expect(Math.abs(gpu[i] - cpu[i])).toBeLessThan(1e-4)
  })

  it('should turn a GPU validation error into a thrown BackendError', async () => {
    await initBackend('webgpu')
    const { assertWebgpuHealthy, webgpuLimits } = await import('../../../trainer/engines/dawn')
    expect(webgpuLimits()!.maxStorageBufferBindingSize).toBeGreaterThan(0)
    assertWebgpuHealthy()
    const device = (tf.backend() as unknown as { device: any }).device
    // A storage buffer over the device's limit is a validation error: it does not throw.
    device.createBuffer({ size: webgpuLimits()!.maxBufferSize * 2, usage: 0x80 /* STORAGE */ })
    await device.queue.onSubmittedWorkDone()
    await new Promise((r) => setTimeout(r, 50))
    expect(() => assertWebgpuHealthy()).toThrow(BackendError)
    expect(() => assertWebgpuHealthy()).toThrow(/WebGPU reported an error/)
  })
})
