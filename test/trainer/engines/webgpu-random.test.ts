/**
 * @module test/trainer/engines/webgpu-random
 * The fused WebGPU step's on-device randomness (engine/webgpu/random.ts) and input kernels
 * (engine/webgpu/inputs.ts): Philox-4x32-10 against Random123's known answers, the epoch
 * permutation is a permutation, the normals are standard; then on the device, the WGSL against
 * its TypeScript twin — Philox and the permutation bit for bit, the normals to float32 rounding —
 * and the D update's input kernel against a host gather of the same images and draws. The device
 * half skips, saying why, where no WebGPU adapter exists (see webgpu-setup.ts), or fails with
 * DIGIT_GAN_STRICT=1 (CI).
 */
/// <reference types="@webgpu/types" />
import { afterAll, describe, expect, it } from 'vitest'
import {
  discriminatorInputs,
  generatorInputs,
  inputLayout,
  packBytes,
} from '../../../engine/webgpu/inputs'
import { encodeOps, recordOps } from '../../../engine/webgpu/pipelines'
import {
  drawLabel,
  normals4,
  permute,
  philox,
  RANDOM_WGSL,
  STREAM,
} from '../../../engine/webgpu/random'
import { initBackend } from '../../../trainer/core/backend'
import { Xoshiro128 } from '../../../shared/latent/rng'
import { startWebgpu, WEBGPU_TIMEOUT_MS } from './webgpu-setup'

const skipReason = await startWebgpu('on-device randomness tests')

afterAll(async () => {
  await initBackend('wasm')
})

describe('counter-based randomness (host twin)', () => {
  it('should reproduce the Random123 known answers of Philox-4x32-10', () => {
    expect(philox([0, 0, 0, 0], [0, 0])).toEqual([0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8])
    const ones = 0xffffffff
    expect(philox([ones, ones, ones, ones], [ones, ones])).toEqual([
      0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd,
    ])
    expect(
      philox([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0]),
    ).toEqual([0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1])
  })

  it.each([1, 2, 5, 64, 1000, 60000])(
    'should permute [0, %i) within an epoch and shuffle differently across epochs',
    (n) => {
      const orders = [0, 1].map((epoch) =>
        Array.from({ length: n }, (_, p) => permute(p, n, 7, epoch)),
      )
      for (const order of orders)
        expect([...order].sort((a, b) => a - b)).toEqual([...Array(n).keys()])
      if (n >= 64) {
        expect(orders[0]).not.toEqual(orders[1])
        // A shuffle, not a near-identity: few fixed points (expected ≈ 1).
        expect(orders[0].filter((x, p) => x === p).length).toBeLessThan(10)
      }
    },
  )

  it('should draw standard normals and uniform labels', () => {
    const z: number[] = []
    const counts = new Array(10).fill(0)
    for (let i = 0; i < 25_000; i++) {
      const x = philox([i, 3, 0, 0], [42, STREAM.dNoise])
      z.push(...normals4(x))
      counts[drawLabel(x[0], 10)]++
    }
    const mean = z.reduce((a, b) => a + b, 0) / z.length
    const variance = z.reduce((a, b) => a + (b - mean) ** 2, 0) / z.length
    expect(Math.abs(mean)).toBeLessThan(0.01) // 5σ at n = 100 000
    expect(Math.abs(variance - 1)).toBeLessThan(0.03)
    for (const c of counts) expect(Math.abs(c / 25_000 - 0.1)).toBeLessThan(0.01)
  })
})

// WGSL guarantees cos and sin to 2^-11 absolute on [−π, π], times a radius ≤ 5.9 (SwiftShader
// comes within 6e-4 of float64; GPUs' hardware functions are closer).
const NORMAL_TOL = 5.9 * 2 ** -11 + 1e-5

/** Runs one kernel over fresh buffers holding `inputs`; returns every buffer's words. */
async function runKernel(
  device: GPUDevice,
  kernel: Parameters<typeof recordOps>[2][number],
  inputs: Record<string, Uint32Array | Float32Array>,
  sizes: Record<string, number>,
): Promise<Record<string, ArrayBuffer>> {
  device.pushErrorScope('validation')
  const buffers = new Map<string, GPUBuffer>()
  for (const name of kernel.buffers) {
    const data = inputs[name]
    const size = (data ? data.length : sizes[name]) * 4
    const b = device.createBuffer({ size, usage: 0x80 | 0x04 | 0x08 })
    if (data) device.queue.writeBuffer(b, 0, data as Float32Array<ArrayBuffer>)
    buffers.set(name, b)
  }
  const ops = await recordOps(device, buffers, [kernel])
  const encoder = device.createCommandEncoder()
  const pass = encoder.beginComputePass()
  encodeOps(pass, ops)
  pass.end()
  const out: Record<string, ArrayBuffer> = {}
  const staging = [...buffers].map(([name, b]) => {
    const s = device.createBuffer({ size: b.size, usage: 0x01 | 0x08 })
    encoder.copyBufferToBuffer(b, 0, s, 0, b.size)
    return [name, s] as const
  })
  device.queue.submit([encoder.finish()])
  for (const [name, s] of staging) {
    await s.mapAsync(1)
    out[name] = s.getMappedRange().slice(0)
    s.destroy()
  }
  for (const b of buffers.values()) b.destroy()
  const error = await device.popErrorScope()
  if (error) throw new Error(error.message)
  return out
}

describe.skipIf(skipReason !== '')(
  'counter-based randomness (WGSL on the device)',
  { timeout: WEBGPU_TIMEOUT_MS },
  () => {
    it('should match the host twin: Philox and the permutation exactly, normals to f32', async () => {
      const { tfjsDevice } = await import('../../../trainer/engines/webgpu-fused')
      await initBackend('webgpu')
      const device = tfjsDevice()
      const n = 256
      const code = `@group(0) @binding(0) var<storage, read_write> outw : array<u32>;
@group(0) @binding(1) var<storage, read_write> outf : array<f32>;
${RANDOM_WGSL}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id : vec3u) {
  let i = id.x;
  if (i >= ${n}u) { return; }
  let x = philox(vec4u(i, 17u, 2u, 0u), vec2u(0xdeadbeefu, 3u));
  outw[8u * i] = x.x; outw[8u * i + 1u] = x.y; outw[8u * i + 2u] = x.z; outw[8u * i + 3u] = x.w;
  outw[8u * i + 4u] = label(x.x, 10u);
  outw[8u * i + 5u] = permute(i * 234u, 60000u, 8u, 99u, i % 3u);
  let z = normals4(x);
  outf[4u * i] = z.x; outf[4u * i + 1u] = z.y; outf[4u * i + 2u] = z.z; outf[4u * i + 3u] = z.w;
}`
      const out = await runKernel(
        device,
        { label: 'random', code, buffers: ['outw', 'outf'], grid: [n / 64, 1] },
        {},
        { outw: 8 * n, outf: 4 * n },
      )
      const words = new Uint32Array(out.outw)
      const floats = new Float32Array(out.outf)
      let worst = 0
      for (let i = 0; i < n; i++) {
        const x = philox([i, 17, 2, 0], [0xdeadbeef, 3])
        expect([...words.subarray(8 * i, 8 * i + 4)]).toEqual(x)
        expect(words[8 * i + 4]).toBe(drawLabel(x[0], 10))
        expect(words[8 * i + 5]).toBe(permute(i * 234, 60000, 99, i % 3))
        normals4(x).forEach((z, j) => (worst = Math.max(worst, Math.abs(z - floats[4 * i + j]))))
      }
      expect(worst).toBeLessThan(NORMAL_TOL)
    })

    it('should gather the real batch and draw G’s inputs as the host twin does', async () => {
      const { tfjsDevice } = await import('../../../trainer/engines/webgpu-fused')
      await initBackend('webgpu')
      const device = tfjsDevice()
      const [B, C, L, N, seed, dSteps] = [8, 10, 6, 40, 1234, 2]
      const rng = new Xoshiro128(5)
      const images = Uint8Array.from({ length: N * 784 }, () => rng.nextUint32() & 255)
      const labels = Uint8Array.from({ length: N }, () => rng.nextUint32() % 10)
      const layout = inputLayout(B, 784, C, L)
      const draw = { seed, dSteps, count: N }
      const [step, k] = [11, 1] // D batch j = 23: epoch 4 (5 batches per epoch), its 4th batch
      const ctl = new Uint32Array([step, k, 0, 0])
      const inputs = { images: packBytes(images), labels: packBytes(labels), ctl }
      const d = await runKernel(device, discriminatorInputs(layout, draw), inputs, {
        batch: layout.size,
      })
      const g = await runKernel(
        device,
        generatorInputs(layout, draw),
        { ctl },
        { batch: layout.size },
      )
      const dBatch = new Float32Array(d.batch)
      const gBatch = new Float32Array(g.batch)
      const j = step * dSteps + k
      const GW = L + C
      let worst = 0
      const latentsMatch = (got: Float32Array, noise: number, labelStream: number, kk: number) => {
        for (let r = 0; r < B; r++) {
          const z = Array.from({ length: Math.ceil(L / 4) }, (_, q) =>
            normals4(philox([r * Math.ceil(L / 4) + q, step, kk, 0], [seed, noise])),
          ).flat()
          for (let c = 0; c < L; c++) {
            worst = Math.max(worst, Math.abs(got[layout.gInput + r * GW + c] - z[c]))
          }
          const label = drawLabel(philox([r, step, kk, 0], [seed, labelStream])[0], C)
          const row = got.subarray(layout.gInput + r * GW + L, layout.gInput + (r + 1) * GW)
          expect([...row]).toEqual(Array.from({ length: C }, (_, c) => (c === label ? 1 : 0)))
        }
      }
      for (let r = 0; r < B; r++) {
        const img = permute((j % 5) * B + r, N, seed, Math.floor(j / 5))
        const want = Array.from(images.subarray(img * 784, (img + 1) * 784), (p) => p / 127.5 - 1)
        const got = dBatch.subarray(r * 784, (r + 1) * 784)
        want.forEach((p, i) => expect(Math.abs(got[i] - p)).toBeLessThan(1e-6))
        const oneHot = dBatch.subarray(layout.realLabels + r * C, layout.realLabels + (r + 1) * C)
        expect([...oneHot]).toEqual(
          Array.from({ length: C }, (_, c) => (c === labels[img] ? 1 : 0)),
        )
      }
      latentsMatch(dBatch, STREAM.dNoise, STREAM.dLabels, k)
      latentsMatch(gBatch, STREAM.gNoise, STREAM.gLabels, 0)
      expect(worst).toBeLessThan(NORMAL_TOL)
    })
  },
)
