/**
 * @module web/train/cpu-helper
 * One helper thread of the fused CPU step in a browser (a module Web Worker started by
 * web/train/cpu-pool.ts): it instantiates the step's WebAssembly over the engine's shared memory,
 * says it is ready, then waits for launches on the pool's control words and runs its share of
 * each plan — the same loop as the Node helpers of trainer/cpu-threads.ts. Blocking in
 * `Atomics.wait` is allowed here (a worker), and the training worker never posts to it again.
 */
import type { HelperInit } from './cpu-pool'
import { CONTROL } from './cpu-pool'

interface HelperScope {
  onmessage: ((event: MessageEvent<HelperInit>) => void) | null
  postMessage(message: unknown): void
}
const scope = self as unknown as HelperScope

scope.onmessage = (event) => {
  scope.onmessage = null
  const init = event.data
  let run: (plan: number, thread: number, threads: number) => void
  try {
    const instance = new WebAssembly.Instance(init.module as WebAssembly.Module, {
      env: { memory: init.memory as WebAssembly.Memory },
    })
    run = instance.exports.run as typeof run
  } catch (err) {
    scope.postMessage({ error: err instanceof Error ? err.message : String(err) })
    return
  }
  scope.postMessage({ ready: true })
  loop(init, run)
}

/** Waits for each launch, runs it, counts itself done; ends when the pool closes. */
function loop(init: HelperInit, run: (plan: number, thread: number, threads: number) => void) {
  const { control, message, thread, spin } = init
  const words = new Int32Array(init.memory.buffer)
  let seen = 0
  for (;;) {
    let g = Atomics.load(control, CONTROL.generation)
    for (let i = 0; g === seen && i < spin; i++) g = Atomics.load(control, CONTROL.generation)
    while (g === seen) {
      Atomics.wait(control, CONTROL.generation, seen)
      g = Atomics.load(control, CONTROL.generation)
    }
    seen = g
    if (Atomics.load(control, CONTROL.closing)) break
    try {
      run(Atomics.load(control, CONTROL.plan), thread, Atomics.load(control, CONTROL.threads))
    } catch (err) {
      if (Atomics.compareExchange(control, CONTROL.failed, 0, thread) === 0) {
        const text = `helper thread ${thread}: ${err instanceof Error ? err.message : String(err)}`
        for (let i = 0; i < message.length; i++)
          message[i] = i < text.length ? text.charCodeAt(i) : 0
      }
      // Makes the threads waiting at the step's barrier leave it instead of waiting for this one.
      Atomics.store(words, init.abort, 1)
      Atomics.notify(words, init.generation)
    }
    Atomics.add(control, CONTROL.done, 1)
    Atomics.notify(control, CONTROL.done)
  }
}
