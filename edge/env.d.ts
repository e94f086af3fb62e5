/**
 * @module edge/env
 * Ambient types for the worker: the model payload is bundled as a Data module, the dense kernel
 * as a CompiledWasm module and the demo script as a Text module (see the `[[rules]]` in wrangler.toml), and the one optional binding.
 */

/** A `*.bin` file bundled as raw bytes by wrangler's `Data` module rule. */
declare module '*.bin' {
  const value: ArrayBuffer
  export default value
}

/** A `*.wasm` file compiled at deploy time by wrangler's `CompiledWasm` module rule. */
declare module '*.wasm' {
  const module: WebAssembly.Module
  export default module
}

/** The demo page's script bundle (dist-web/demo.js), imported as text by the `Text` rule. */
declare module '*/dist-web/demo.js' {
  const text: string
  export default text
}

declare namespace Cloudflare {
  interface Env {
    /** "1" mounts the `/__bench/*` routes (see edge/routes/bench.ts); unset in production. */
    BENCH?: string
  }
  interface GlobalProps {
    mainModule: typeof import('./index')
  }
}
