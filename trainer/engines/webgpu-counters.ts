/**
 * @module trainer/engines/webgpu-counters
 * Counts the host-side WebGPU work tfjs does: compute dispatches, queue submits, buffer creations,
 * uploads, read-backs and bind groups.
 *
 * Why: on a real GPU this MLP is bound by per-dispatch host overhead (an H100 CPU profile shows
 * `submitQueue` 52 %, `createBuffer` 15 %), not by GPU math. These counts measure that overhead
 * identically on any adapter, software Vulkan included, so progress can be made and guarded on a
 * machine without a GPU.
 *
 * How: the methods are wrapped on the prototypes of Dawn's classes (`GPUDevice`, `GPUQueue`,
 * `GPUCommandEncoder`, `GPUComputePassEncoder`, `GPUBuffer`), which covers every object tfjs
 * already holds. Opt-in: nothing is wrapped until `installWebgpuCounters()`, and
 * `uninstallWebgpuCounters()` puts the original methods back, so the normal path pays nothing.
 */

/** Host-side WebGPU calls since the last `resetWebgpuCounters()`. */
export interface WebgpuCounts {
  /** `dispatchWorkgroups` on compute passes: one per tfjs kernel launch. */
  dispatches: number
  /** `beginComputePass`. */
  passes: number
  /** `queue.submit` calls. */
  submits: number
  /** `device.createBuffer` calls (pool misses, staging buffers). */
  buffers: number
  bufferBytes: number
  /** `createBuffer` with `mappedAtCreation`: tensor data uploaded from the CPU. */
  mappedUploads: number
  mappedUploadBytes: number
  /** `queue.writeBuffer` calls (tfjs writes each dispatch's uniforms this way). */
  writes: number
  writeBytes: number
  /** `buffer.mapAsync`: synchronizing read-backs to the CPU. */
  readbacks: number
  /** `device.createBindGroup`. */
  bindGroups: number
}

/** A zeroed count. */
export function emptyCounts(): WebgpuCounts {
  return {
    dispatches: 0,
    passes: 0,
    submits: 0,
    buffers: 0,
    bufferBytes: 0,
    mappedUploads: 0,
    mappedUploadBytes: 0,
    writes: 0,
    writeBytes: 0,
    readbacks: 0,
    bindGroups: 0,
  }
}

let counts = emptyCounts()
const restore: (() => void)[] = []

type Proto = Record<string, unknown>
type AnyFn = (this: unknown, ...args: unknown[]) => unknown

/** Replaces `proto[method]` with `wrap(original)` and records how to undo it. */
function patch(className: string, method: string, wrap: (original: AnyFn) => AnyFn): void {
  const cls = (globalThis as unknown as Record<string, { prototype: Proto } | undefined>)[className]
  if (!cls) throw new Error(`Expected Dawn's ${className} on globalThis, but it is missing.`)
  const original = cls.prototype[method] as AnyFn
  cls.prototype[method] = wrap(original)
  restore.push(() => {
    cls.prototype[method] = original
  })
}

function byteLength(data: unknown, size: unknown): number {
  if (typeof size === 'number') return size
  const view = data as { byteLength?: number }
  return view.byteLength ?? 0
}

/**
 * Starts counting (idempotent). Call after `initWebgpu()`: Dawn's classes are globals from then on.
 * @example installWebgpuCounters(); resetWebgpuCounters(); await step(); readWebgpuCounters()
 */
export function installWebgpuCounters(): void {
  if (restore.length > 0) return
  patch('GPUComputePassEncoder', 'dispatchWorkgroups', (f) =>
    function (this: unknown, ...args) {
      counts.dispatches++
      return f.apply(this, args)
    },
  )
  patch('GPUCommandEncoder', 'beginComputePass', (f) =>
    function (this: unknown, ...args) {
      counts.passes++
      return f.apply(this, args)
    },
  )
  patch('GPUQueue', 'submit', (f) =>
    function (this: unknown, ...args) {
      counts.submits++
      return f.apply(this, args)
    },
  )
  patch('GPUQueue', 'writeBuffer', (f) =>
    function (this: unknown, ...args) {
      counts.writes++
      // writeBuffer(buffer, offset, data, dataOffset?, size?): size is in elements of data.
      const data = args[2] as { BYTES_PER_ELEMENT?: number }
      const size = args[4] as number | undefined
      counts.writeBytes +=
        size === undefined ? byteLength(data, undefined) : size * (data.BYTES_PER_ELEMENT ?? 1)
      return f.apply(this, args)
    },
  )
  patch('GPUDevice', 'createBuffer', (f) =>
    function (this: unknown, ...args) {
      const desc = args[0] as { size: number; mappedAtCreation?: boolean }
      counts.buffers++
      counts.bufferBytes += desc.size
      if (desc.mappedAtCreation) {
        counts.mappedUploads++
        counts.mappedUploadBytes += desc.size
      }
      return f.apply(this, args)
    },
  )
  patch('GPUDevice', 'createBindGroup', (f) =>
    function (this: unknown, ...args) {
      counts.bindGroups++
      return f.apply(this, args)
    },
  )
  patch('GPUBuffer', 'mapAsync', (f) =>
    function (this: unknown, ...args) {
      counts.readbacks++
      return f.apply(this, args)
    },
  )
}

/** Stops counting and restores Dawn's original methods. */
export function uninstallWebgpuCounters(): void {
  while (restore.length > 0) restore.pop()!()
}

/** Zeroes the counts. */
export function resetWebgpuCounters(): void {
  counts = emptyCounts()
}

/** A copy of the counts so far. */
export function readWebgpuCounters(): WebgpuCounts {
  return { ...counts }
}

/** `counts` divided by `steps`, for per-step reporting. */
export function perStep(total: WebgpuCounts, steps: number): WebgpuCounts {
  const out = emptyCounts()
  for (const key of Object.keys(out) as (keyof WebgpuCounts)[]) out[key] = total[key] / steps
  return out
}

/** One line, e.g. `dispatch 412 · submit 31 · createBuffer 45 (1.2 MiB) · …`. */
export function formatCounts(c: WebgpuCounts): string {
  const n = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(1))
  const kib = (x: number) => `${(x / 1024).toFixed(1)} KiB`
  return [
    `dispatch ${n(c.dispatches)}`,
    `pass ${n(c.passes)}`,
    `submit ${n(c.submits)}`,
    `createBuffer ${n(c.buffers)} (${kib(c.bufferBytes)})`,
    `mappedUpload ${n(c.mappedUploads)} (${kib(c.mappedUploadBytes)})`,
    `writeBuffer ${n(c.writes)} (${kib(c.writeBytes)})`,
    `mapAsync ${n(c.readbacks)}`,
    `bindGroup ${n(c.bindGroups)}`,
  ].join(' · ')
}
