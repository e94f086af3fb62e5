/**
 * @module engine/webgpu/pipelines
 * Turns the fused step's kernel lists (engine/webgpu/plan.ts) into recorded dispatches: a compute
 * pipeline per distinct kernel source and a bind group per dispatch, made once per engine, so a
 * step's host work is setPipeline + setBindGroup + dispatchWorkgroups per kernel.
 *
 * Pipelines are cached per device by source: a second engine of the same shape (a benchmark's
 * next setting, the backend probe then the run) compiles nothing. Compilation is asynchronous
 * and concurrent, so a driver that compiles on several threads may.
 */
/// <reference types="@webgpu/types" />
import type { KernelSource } from './wgsl'

/** A recorded dispatch: everything bound once at creation. */
export interface Op {
  pipeline: GPUComputePipeline
  bindGroup: GPUBindGroup
  grid: [number, number]
}

interface DeviceCache {
  layouts: Map<number, GPUBindGroupLayout>
  pipelines: Map<string, Promise<GPUComputePipeline>>
}

const caches = new WeakMap<GPUDevice, DeviceCache>()

/** One bind group layout per binding count: every binding is a read-write storage buffer. */
function bindGroupLayout(device: GPUDevice, cache: DeviceCache, count: number): GPUBindGroupLayout {
  let layout = cache.layouts.get(count)
  if (!layout) {
    layout = device.createBindGroupLayout({
      entries: Array.from({ length: count }, (_, binding) => ({
        binding,
        visibility: 4, // GPUShaderStage.COMPUTE
        buffer: { type: 'storage' as const },
      })),
    })
    cache.layouts.set(count, layout)
  }
  return layout
}

/**
 * Records `kernels` against `buffers` (by name) on `device`.
 * @throws Error naming the kernel when WebGPU rejects its shader or pipeline.
 */
export async function recordOps(
  device: GPUDevice,
  buffers: Map<string, GPUBuffer>,
  kernels: KernelSource[],
): Promise<Op[]> {
  let cache = caches.get(device)
  if (!cache) {
    cache = { layouts: new Map(), pipelines: new Map() }
    caches.set(device, cache)
  }
  const c = cache
  const pipelines = kernels.map((k) => {
    let pipeline = c.pipelines.get(k.code)
    if (!pipeline) {
      const layout = bindGroupLayout(device, c, k.buffers.length)
      pipeline = device
        .createComputePipelineAsync({
          label: k.label,
          layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
          compute: {
            module: device.createShaderModule({ label: k.label, code: k.code }),
            entryPoint: 'main',
          },
        })
        .catch((err: Error) => {
          c.pipelines.delete(k.code)
          throw new Error(
            `Expected WebGPU to compile the fused step's kernel ${k.label}, but got: ${err.message}`,
            { cause: err },
          )
        })
      c.pipelines.set(k.code, pipeline)
    }
    return pipeline
  })
  const ready = await Promise.all(pipelines)
  return kernels.map((k, i) => ({
    pipeline: ready[i],
    grid: k.grid,
    bindGroup: device.createBindGroup({
      label: k.label,
      layout: bindGroupLayout(device, c, k.buffers.length),
      entries: k.buffers.map((name, binding) => {
        const buffer = buffers.get(name)
        if (!buffer) throw new Error(`Expected a buffer named ${name} for kernel ${k.label}.`)
        return { binding, resource: { buffer } }
      }),
    }),
  }))
}

/** Encodes `ops` into an open compute pass. */
export function encodeOps(pass: GPUComputePassEncoder, ops: Op[]): void {
  for (const op of ops) {
    pass.setPipeline(op.pipeline)
    pass.setBindGroup(0, op.bindGroup)
    pass.dispatchWorkgroups(op.grid[0], op.grid[1])
  }
}
