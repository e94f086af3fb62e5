/**
 * @module test/trainer/engines/webgpu-counters
 * Guards the WebGPU host overhead of GAN steps: dispatches, submits, uploads, buffer creations and
 * read-backs may not regress above the bounds measured after the overhead cuts (docs/gpu.md), on
 * the tfjs path (per step, read-backs included) and on the fused step (engine/webgpu/fused-step.ts:
 * per K steps one submit and nothing else until the losses are read). Counts do not depend on
 * the adapter, so software WebGPU guards what an H100 pays. Skips, saying why, where no adapter
 * exists (see webgpu-setup.ts), or fails with DIGIT_GAN_STRICT=1 (CI).
 */
import { afterAll, describe, expect, it } from 'vitest'
import { benchStep, syntheticData } from '../../../tools/bench-train'
import { DEFAULT_CONFIG } from '../../../trainer/config'
import { initBackend } from '../../../trainer/core/backend'
import { createGan, disposeGan } from '../../../trainer/core/gan'
import { createEngine } from '../../../trainer/engines/create'
import { startWebgpu, WEBGPU_TIMEOUT_MS } from './webgpu-setup'

// Measured after the cuts: 342 dispatches, 3 submits (one per loss read-back), 0 buffer
// creations per step (before: 556, 39, 185). The margins absorb small model/tfjs changes, not a
// return of per-op submits or staging buffers.
const MAX_DISPATCHES = 360
const MAX_SUBMITS = 4
const MAX_BUFFERS = 4

// The fused step, all on the device: 1 input kernel + 16 dispatches per D update, 1 + 23 per G
// update, recorded once and replayed; K steps per command buffer; no upload, no allocation, no
// read-back until the losses are read.
const FUSED_DISPATCHES = 41
const K = 4

const skipReason = await startWebgpu('WebGPU counter tests')

afterAll(async () => {
  await initBackend('wasm')
})

describe.skipIf(skipReason !== '')('webgpu counters', { timeout: WEBGPU_TIMEOUT_MS }, () => {
  it('should keep dispatches, submits and buffer creations per step in bounds', async () => {
    await initBackend('webgpu')
    const { counts } = await benchStep(16, { steps: 2, counters: true })
    console.log(
      `webgpu per step: ${counts!.dispatches} dispatches, ${counts!.submits} submits, ` +
        `${counts!.buffers} createBuffer`,
    )
    expect(counts!.dispatches).toBeGreaterThan(0) // the wrappers did see the work
    expect(counts!.dispatches).toBeLessThanOrEqual(MAX_DISPATCHES)
    expect(counts!.submits).toBeLessThanOrEqual(MAX_SUBMITS)
    expect(counts!.buffers).toBeLessThanOrEqual(MAX_BUFFERS)
  })

  it('should submit once per K fused steps, with no upload, allocation or read-back', async () => {
    await initBackend('webgpu')
    const wgc = await import('../../../trainer/engines/webgpu-counters')
    const config = { ...DEFAULT_CONFIG, batch: 16, webgpuStep: 'fused' as const, stepsPerSubmit: K }
    const gan = createGan(config)
    const engine = await createEngine(gan, config, 'webgpu', syntheticData(32, 16), 0)
    await engine.run(K) // warm-up
    await engine.readLosses()
    wgc.installWebgpuCounters()
    wgc.resetWebgpuCounters()
    await engine.run(2 * K)
    const run = wgc.readWebgpuCounters()
    const losses = await engine.readLosses()
    const read = wgc.readWebgpuCounters()
    wgc.uninstallWebgpuCounters()
    engine.dispose()
    disposeGan(gan)
    console.log(`fused webgpu, ${2 * K} steps: ${wgc.formatCounts(run)}`)
    expect(losses.steps).toBe(2 * K)
    expect(Number.isFinite(losses.dLoss) && Number.isFinite(losses.gLoss)).toBe(true)
    expect(run.dispatches).toBe(2 * K * FUSED_DISPATCHES)
    expect(run.submits).toBe(2) // ≤ 1 / K per step
    expect([run.writes, run.mappedUploads, run.buffers, run.bindGroups, run.readbacks]).toEqual([
      0, 0, 0, 0, 0,
    ])
    // Reading the losses: one copy submitted, one read-back, still nothing written or created.
    expect([read.submits - run.submits, read.readbacks, read.writes, read.buffers]).toEqual([
      1, 1, 0, 0,
    ])
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
