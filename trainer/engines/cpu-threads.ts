/**
 * @module trainer/engines/cpu-threads
 * The Node side of the fused CPU step (engine/cpu): the compiled module, and a pool of
 * `worker_threads` that run it over the engine's shared `WebAssembly.Memory`
 * (engine/cpu/threads.ts's `CpuThreadPool`).
 *
 * A launch is one generation bump on a shared control word; each helper polls it briefly, then
 * sleeps in `Atomics.wait`, runs `run(plan, thread, threads)` and counts itself done. The engine's
 * thread runs thread 0 meanwhile and then waits for the count (Node allows `Atomics.wait` on the
 * main thread). No message passing per step.
 *
 * @example
 * const engine = await createCpuEngine({ model, options: config, data, module: loadCpuStepModule(),
 *   pool: createNodeThreadPool(defaultThreads() - 1) })
 */
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { setFlagsFromString } from 'node:v8'
import { Worker } from 'node:worker_threads'
import { SYNC } from '../../engine/cpu/ops'
import type { CpuThreadPool, WasmMemory, WasmModule } from '../../engine/cpu/threads'

/** The committed module binaries: the default build, and the opt-in relaxed-SIMD FMA build. */
export const CPU_STEP_WASM = fileURLToPath(new URL('../../engine/cpu/step.wasm', import.meta.url))
export const CPU_STEP_FMA_WASM = fileURLToPath(
  new URL('../../engine/cpu/step-fma.wasm', import.meta.url),
)

const compiled = new Map<boolean, WebAssembly.Module>()

/**
 * engine/cpu/step.wasm, read and compiled once per process; with `fma`, the opt-in build whose
 * products use relaxed SIMD's multiply-add (faster where the CPU fuses it, but its results depend
 * on the machine: never the default). Node 20 keeps relaxed SIMD behind a V8 flag, which asking
 * for the FMA build turns on (later Node versions have it on already).
 * @throws Error when the runtime refuses relaxed SIMD.
 */
export function loadCpuStepModule(fma = false): WebAssembly.Module {
  let module = compiled.get(fma)
  if (module) return module
  const bytes = readFileSync(fma ? CPU_STEP_FMA_WASM : CPU_STEP_WASM)
  try {
    module = new WebAssembly.Module(bytes)
  } catch (err) {
    if (!fma) throw err
    // Takes effect for modules compiled afterwards; only this explicit opt-in sets it.
    setFlagsFromString('--experimental-wasm-relaxed-simd')
    try {
      module = new WebAssembly.Module(bytes)
    } catch (again) {
      throw new Error(
        `Expected WebAssembly relaxed SIMD for the FMA build, but this runtime refuses it: ${(again as Error).message}`,
        { cause: again },
      )
    }
  }
  compiled.set(fma, module)
  return module
}

/** Threads the fused CPU step uses by default: the machine's cores. */
export function defaultThreads(): number {
  return availableParallelism()
}

// Control words (Int32Array over a SharedArrayBuffer).
const GENERATION = 0
const DONE = 1
const PLAN = 2
const THREADS = 3
const FAILED = 4
const CLOSING = 5
const MESSAGE_CHARS = 256

/** The helpers' code (CommonJS, evaluated in each worker: no file to resolve next to a bundle). */
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads')
const { module, memory, control, message, thread, spin, abort, generation } = workerData
const run = new WebAssembly.Instance(module, { env: { memory } }).exports.run
const words = new Int32Array(memory.buffer)
parentPort.postMessage('ready')
let seen = 0
for (;;) {
  let g = Atomics.load(control, ${GENERATION})
  for (let i = 0; g === seen && i < spin; i++) g = Atomics.load(control, ${GENERATION})
  while (g === seen) {
    Atomics.wait(control, ${GENERATION}, seen)
    g = Atomics.load(control, ${GENERATION})
  }
  seen = g
  if (Atomics.load(control, ${CLOSING})) break
  try {
    run(Atomics.load(control, ${PLAN}), thread, Atomics.load(control, ${THREADS}))
  } catch (err) {
    if (Atomics.compareExchange(control, ${FAILED}, 0, thread) === 0) {
      const text = 'helper thread ' + thread + ': ' + String((err && err.message) || err)
      for (let i = 0; i < message.length; i++) message[i] = i < text.length ? text.charCodeAt(i) : 0
    }
    Atomics.store(words, abort, 1)
    Atomics.notify(words, generation)
  }
  Atomics.add(control, ${DONE}, 1)
  Atomics.notify(control, ${DONE})
}
`

/**
 * A pool of `helpers` worker threads for the fused CPU step; `spin` is how many times a helper
 * polls for the next launch (and the engine's thread for the helpers' completion) before sleeping.
 * @example const pool = createNodeThreadPool(availableParallelism() - 1)
 */
export function createNodeThreadPool(helpers: number, spin = 100_000): CpuThreadPool {
  if (!Number.isInteger(helpers) || helpers < 0) {
    throw new RangeError(`Expected a whole number of helper threads, but got ${helpers}.`)
  }
  const control = new Int32Array(new SharedArrayBuffer(8 * 4))
  const message = new Uint16Array(new SharedArrayBuffer(MESSAGE_CHARS * 2))
  let workers: Worker[] = []
  let memoryWords: Int32Array | undefined
  return {
    helpers,
    async start(module: WasmModule, memory: WasmMemory) {
      memoryWords = new Int32Array(memory.buffer)
      workers = Array.from(
        { length: helpers },
        (_, i) =>
          new Worker(WORKER_SOURCE, {
            eval: true,
            workerData: {
              module,
              memory,
              control,
              message,
              thread: i + 1,
              spin,
              abort: SYNC.abort / 4,
              generation: SYNC.generation / 4,
            },
          }),
      )
      // Helpers never keep the process alive on their own: a run blocks the engine's thread
      // until they finish, and an engine left undisposed must not hang the exit.
      for (const w of workers) w.unref()
      await Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((resolve, reject) => {
              w.once('message', () => resolve())
              w.once('error', reject)
            }),
        ),
      )
    },
    launch(plan: number) {
      if (helpers === 0) return
      Atomics.store(control, DONE, 0)
      Atomics.store(control, PLAN, plan)
      Atomics.store(control, THREADS, helpers + 1)
      Atomics.add(control, GENERATION, 1)
      Atomics.notify(control, GENERATION)
    },
    async join() {
      if (helpers === 0) return
      let done = Atomics.load(control, DONE)
      for (let i = 0; done < helpers && i < spin; i++) done = Atomics.load(control, DONE)
      while (done < helpers) {
        Atomics.wait(control, DONE, done)
        done = Atomics.load(control, DONE)
      }
      if (Atomics.load(control, FAILED) !== 0) {
        throw new Error(String.fromCharCode(...message).replace(/\0+$/, ''))
      }
    },
    close() {
      Atomics.store(control, CLOSING, 1)
      Atomics.add(control, GENERATION, 1)
      Atomics.notify(control, GENERATION)
      if (memoryWords) {
        // A helper still inside a run (after a failure elsewhere) leaves the barrier and traps.
        Atomics.store(memoryWords, SYNC.abort / 4, 1)
        Atomics.notify(memoryWords, SYNC.generation / 4)
      }
      for (const w of workers) void w.terminate()
      workers = []
    },
  }
}
