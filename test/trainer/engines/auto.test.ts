/**
 * @module test/trainer/engines/auto
 * `--backend auto` on a machine with a GPU (trainer/core/backend.ts, trainer/engines/create.ts):
 * a software adapter (SwiftShader, llvmpipe) is never taken for a GPU; a hardware adapter gets a
 * probe that times the run's own steps on the GPU and on the CPU, and the faster wins, said in
 * one line. This machine's adapter (SwiftShader, from the test setup) is software, so the probe
 * itself is driven directly; the adapter seen is swapped for a hardware one to check the wiring.
 */
import { afterAll, describe, expect, it, vi } from 'vitest'
import { DEFAULT_CONFIG } from '../../../trainer/config'
import { initBackend } from '../../../trainer/core/backend'
import { tf } from '../../../trainer/core/tf'
import * as dawn from '../../../trainer/engines/dawn'
import { PROBE_STEPS, probeBackends } from '../../../trainer/engines/create'
import { syntheticData } from '../../../tools/bench-train'
import { startWebgpu, WEBGPU_TIMEOUT_MS } from './webgpu-setup'

const skipReason = await startWebgpu('backend probe tests')

afterAll(async () => {
  vi.restoreAllMocks()
  await initBackend('wasm')
})

describe('software adapters', () => {
  it.each([
    [{ vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true }, true],
    [{ vendor: 'google', architecture: 'swiftshader' }, true],
    [{ vendor: 'mesa', description: 'llvmpipe (LLVM 19.1.7, 256 bits)' }, true],
    [{ vendor: 'microsoft', description: 'Microsoft Basic Render Driver' }, true],
    [{ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100 80GB HBM3' }, false],
    [{ vendor: 'amd', architecture: 'rdna-3' }, false],
  ])('should tell %j software: %s', (info, software) => {
    expect(dawn.isSoftwareAdapter(info)).toBe(software)
  })
})

describe('--backend auto', () => {
  it('should keep to wasm on a software adapter without probing, and say why', async () => {
    const probe = vi.fn()
    const choice = await initBackend('auto', probe)
    expect(probe).not.toHaveBeenCalled()
    expect(choice.backend).toBe('wasm')
    expect(tf.getBackend()).toBe('wasm')
    expect(choice.reason).toMatch(
      skipReason ? /no WebGPU adapter/ : /swiftshader.*runs on the CPU/i,
    )
    expect(choice.reason.split('\n')).toHaveLength(1)
  })

  it('should take the probe’s choice on a hardware adapter, and wasm when the probe fails', async () => {
    const find = vi
      .spyOn(dawn, 'findAdapter')
      .mockResolvedValue({ name: 'nvidia hopper NVIDIA H100', software: false })
    const pick = { backend: 'webgpu', reason: 'auto: webgpu was faster' }
    const probe = vi.fn().mockResolvedValue(pick)
    expect(await initBackend('auto', probe)).toEqual(pick)
    expect(probe).toHaveBeenCalledWith('nvidia hopper NVIDIA H100')
    const broken = vi.fn().mockRejectedValue(new Error('device lost'))
    const fallback = await initBackend('auto', broken)
    expect(fallback.backend).toBe('wasm')
    expect(fallback.reason).toMatch(/GPU probe on nvidia hopper NVIDIA H100 failed \(device lost\)/)
    find.mockRestore()
  })
})

describe.skipIf(skipReason !== '')('backend probe', { timeout: WEBGPU_TIMEOUT_MS }, () => {
  it('should time both paths, keep the faster initialized and say so in one line', async () => {
    const config = { ...DEFAULT_CONFIG, batch: 16 }
    const choice = await probeBackends(config, syntheticData(32, 16), 'SwiftShader (test)')
    console.log(choice.reason)
    const [gpu, cpu] = [...choice.reason.matchAll(/([\d.]+) ms\/step/g)].map((m) => Number(m[1]))
    expect(gpu).toBeGreaterThan(0)
    expect(cpu).toBeGreaterThan(0)
    expect(choice.backend).toBe(gpu < cpu ? 'webgpu' : 'wasm')
    expect(tf.getBackend()).toBe(choice.backend)
    expect(choice.reason).toContain(`${PROBE_STEPS}-step probe at batch 16`)
    // Each side through the engine a run there gets: wasm's is the fused CPU step.
    expect(choice.reason).toMatch(/fused WebGPU step.*vs wasm .*fused CPU step/)
  })
})
