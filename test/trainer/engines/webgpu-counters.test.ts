/**
 * @module test/trainer/engines/webgpu-counters
 * Guards the WebGPU host overhead of one GAN step (one D update + one G update, read-backs
 * included): dispatches, submits and buffer creations per step may not regress above the bounds
 * measured after the overhead cuts (docs/gpu.md), on the tfjs path and on the fused step
 * (trainer/engines/webgpu-fused.ts). Counts do not depend on the adapter, so software Vulkan guards what an
 * H100 pays. Without a GPU it runs on SwiftShader's software Vulkan from npm
 * (test/trainer/engines/webgpu-setup.ts); skips, saying why, where no adapter exists, and fails instead
 * with DIGIT_GAN_STRICT=1 (CI).
 */
import { afterAll, describe, expect, it } from 'vitest'
import { benchStep } from '../../../tools/bench-train'
import { initBackend } from '../../../trainer/core/backend'
import { startWebgpu, WEBGPU_TIMEOUT_MS } from './webgpu-setup'

// Measured after the cuts: 342 dispatches, 3 submits (one per loss read-back), 0 buffer
// creations per step (before: 556, 39, 185). The margins absorb small model/tfjs changes, not a
// return of per-op submits or staging buffers.
const MAX_DISPATCHES = 360
const MAX_SUBMITS = 4
const MAX_BUFFERS = 4

// The fused step: 16 dispatches per D update + 23 per G update (recorded once, replayed), one
// command buffer per update, one upload per update and one read-back of the losses per step.
// Nothing is created per step: no buffers, no bind groups.
const FUSED = { dispatches: 39 + 2, submits: 2, writes: 2, readbacks: 1 }

const skipReason = await startWebgpu('WebGPU counter tests')

afterAll(async () => {
  await initBackend('wasm')
})

describe.skipIf(skipReason !== '')('webgpu counters', { timeout: WEBGPU_TIMEOUT_MS }, () => {
  it('should keep dispatches, submits and buffer creations per step in bounds', async () => {
    await initBackend('webgpu')
    const { counts } = await benchStep(16, 2, true)
    console.log(
      `webgpu per step: ${counts!.dispatches} dispatches, ${counts!.submits} submits, ` +
        `${counts!.buffers} createBuffer`,
    )
    expect(counts!.dispatches).toBeGreaterThan(0) // the wrappers did see the work
    expect(counts!.dispatches).toBeLessThanOrEqual(MAX_DISPATCHES)
    expect(counts!.submits).toBeLessThanOrEqual(MAX_SUBMITS)
    expect(counts!.buffers).toBeLessThanOrEqual(MAX_BUFFERS)
  })

  it('should keep the fused step at 2 submits, ~40 dispatches, no allocations', async () => {
    await initBackend('webgpu')
    const { counts } = await benchStep(16, 2, true, 'fused')
    const c = counts!
    console.log(
      `fused webgpu per step: ${c.dispatches} dispatches, ${c.submits} submits, ` +
        `${c.writes} writeBuffer, ${c.readbacks} mapAsync, ${c.buffers} createBuffer`,
    )
    expect(c.dispatches).toBeGreaterThan(0)
    expect(c.dispatches).toBeLessThanOrEqual(FUSED.dispatches)
    expect(c.submits).toBeLessThanOrEqual(FUSED.submits)
    expect(c.writes).toBeLessThanOrEqual(FUSED.writes)
    expect(c.readbacks).toBeLessThanOrEqual(FUSED.readbacks)
    expect([c.buffers, c.mappedUploads, c.bindGroups]).toEqual([0, 0, 0])
  })

  it('should restore Dawn’s methods when counting stops', async () => {
    const { installWebgpuCounters, uninstallWebgpuCounters } = await import(
      '../../../trainer/engines/webgpu-counters'
    )
    const proto = (globalThis as unknown as { GPUQueue: { prototype: { submit: unknown } } })
      .GPUQueue.prototype
    const original = proto.submit
    installWebgpuCounters()
    expect(proto.submit).not.toBe(original)
    uninstallWebgpuCounters()
    expect(proto.submit).toBe(original)
  })
})
