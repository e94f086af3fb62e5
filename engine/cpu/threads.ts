/**
 * @module engine/cpu/threads
 * What the fused CPU step needs from its host to use more than one core, and the few WebAssembly
 * types it touches (engine/ is compiled without the DOM or Node typings that declare them).
 *
 * The engine's own thread is thread 0 and works on every op with the others; a pool adds `helpers`
 * more threads that run the same module over the same shared memory. Node supplies one built on
 * `worker_threads` (trainer/engines/cpu-threads.ts); a browser can supply one built on Web Workers. The
 * engine's own thread blocks in the module's barrier (`memory.atomic.wait32`), which browsers
 * allow only off the main thread: there, run the engine itself inside a Worker (and serve the page
 * cross-origin isolated, which SharedArrayBuffer needs).
 */

/** A compiled engine/cpu/step.wasm (`WebAssembly.Module`). */
export type WasmModule = object

/** A shared `WebAssembly.Memory`. */
export interface WasmMemory {
  readonly buffer: ArrayBufferLike
}

/** Helper threads for the fused CPU step. */
export interface CpuThreadPool {
  /** Threads besides the engine's own: the step runs on `helpers + 1` threads. */
  readonly helpers: number
  /** Instantiates `module` over `memory` on every helper (thread ids 1 .. helpers). */
  start(module: WasmModule, memory: WasmMemory): Promise<void>
  /** Starts `run(plan, thread, helpers + 1)` on every helper and returns at once. */
  launch(plan: number): void
  /**
   * Resolves when every helper has returned from the launched run.
   * @throws Error when a helper failed (after making the others leave the barrier).
   */
  join(): Promise<void>
  /** Ends the helper threads. */
  close(): void
}

/** The slice of the WebAssembly namespace the engine uses, present in every target runtime. */
export interface WasmNamespace {
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory
  Instance: new (module: WasmModule, imports: object) => { exports: Record<string, unknown> }
}

/** The runtime's `WebAssembly`. */
export function wasmNamespace(): WasmNamespace {
  return (globalThis as unknown as { WebAssembly: WasmNamespace }).WebAssembly
}
