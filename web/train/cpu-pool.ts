/**
 * @module web/train/cpu-pool
 * The fused CPU step's helper threads in a browser: a `CpuThreadPool` (engine/cpu/threads.ts) of
 * module Web Workers (web/train/cpu-helper.ts), the browser twin of trainer/cpu-threads.ts's
 * worker_threads pool, with the same protocol: a launch is one generation bump on shared control
 * words, each helper polls briefly and then sleeps in `Atomics.wait`; the engine's thread (the
 * training worker, where blocking is allowed) runs thread 0 and then waits for the done count.
 * No message passing per step.
 *
 * Needs cross-origin isolation: the engine's shared memory and the control words can reach other
 * workers only when `crossOriginIsolated` is true (the /train page is served with COOP and COEP
 * for it). Without it the engine runs on its own thread alone ({@link helperCount} gives 0).
 */
import { SYNC } from '../../engine/cpu/ops'
import type { CpuThreadPool, WasmMemory, WasmModule } from '../../engine/cpu/threads'

/** Indices of the pool's control words (an Int32Array over a SharedArrayBuffer). */
export const CONTROL = { generation: 0, done: 1, plan: 2, threads: 3, failed: 4, closing: 5 }
const MESSAGE_CHARS = 256

/** What a helper receives once, at its start. */
export interface HelperInit {
  module: WasmModule
  memory: WasmMemory
  control: Int32Array
  message: Uint16Array
  thread: number
  spin: number
  /** Word indices of the step's abort flag and barrier generation in the engine's memory. */
  abort: number
  generation: number
}

/**
 * Helper threads to start for `threads` threads in all (0: one per core): none without
 * cross-origin isolation (the shared memory could not reach them).
 * @example helperCount(0, 8, true) // 7
 */
export function helperCount(threads: number, cores: number, isolated: boolean): number {
  if (!isolated) return 0
  return Math.max(0, (threads > 0 ? threads : Math.floor(cores)) - 1)
}

/**
 * A pool of `helpers` Web Workers running `helperUrl` (the bundled web/train/cpu-helper.ts).
 * @example const pool = createBrowserThreadPool(assets.helper, helperCount(0, navigator.hardwareConcurrency, crossOriginIsolated))
 */
export function createBrowserThreadPool(
  helperUrl: string,
  helpers: number,
  spin = 100_000,
): CpuThreadPool {
  const control = new Int32Array(new SharedArrayBuffer(8 * 4))
  const message = new Uint16Array(new SharedArrayBuffer(MESSAGE_CHARS * 2))
  let workers: Worker[] = []
  let memoryWords: Int32Array | undefined
  const terminate = () => {
    for (const w of workers) w.terminate()
    workers = []
  }
  return {
    helpers,
    async start(module: WasmModule, memory: WasmMemory) {
      memoryWords = new Int32Array(memory.buffer)
      workers = Array.from({ length: helpers }, () => new Worker(helperUrl, { type: 'module' }))
      const ready = workers.map(
        (w, i) =>
          new Promise<void>((resolve, reject) => {
            w.onmessage = (e: MessageEvent<{ ready?: true; error?: string }>) =>
              e.data.ready
                ? resolve()
                : reject(new Error(`helper thread ${i + 1}: ${e.data.error}`))
            w.onerror = (e) => reject(new Error(`helper thread ${i + 1}: ${e.message}`))
            const init: HelperInit = {
              module,
              memory,
              control,
              message,
              thread: i + 1,
              spin,
              abort: SYNC.abort / 4,
              generation: SYNC.generation / 4,
            }
            w.postMessage(init)
          }),
      )
      try {
        await Promise.all(ready)
      } catch (err) {
        terminate()
        throw err
      }
    },
    launch(plan: number) {
      if (helpers === 0) return
      Atomics.store(control, CONTROL.done, 0)
      Atomics.store(control, CONTROL.plan, plan)
      Atomics.store(control, CONTROL.threads, helpers + 1)
      Atomics.add(control, CONTROL.generation, 1)
      Atomics.notify(control, CONTROL.generation)
    },
    async join() {
      if (helpers === 0) return
      let done = Atomics.load(control, CONTROL.done)
      for (let i = 0; done < helpers && i < spin; i++) done = Atomics.load(control, CONTROL.done)
      while (done < helpers) {
        Atomics.wait(control, CONTROL.done, done)
        done = Atomics.load(control, CONTROL.done)
      }
      if (Atomics.load(control, CONTROL.failed) !== 0) {
        throw new Error(String.fromCharCode(...message).replace(/\0+$/, ''))
      }
    },
    close() {
      Atomics.store(control, CONTROL.closing, 1)
      Atomics.add(control, CONTROL.generation, 1)
      Atomics.notify(control, CONTROL.generation)
      if (memoryWords) {
        // A helper still inside a run (after a failure elsewhere) leaves the barrier and traps.
        Atomics.store(memoryWords, SYNC.abort / 4, 1)
        Atomics.notify(memoryWords, SYNC.generation / 4)
      }
      terminate()
    },
  }
}
