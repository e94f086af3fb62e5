/**
 * @module edge/serve
 * The worker for one bundled model: what every entry (edge/index.ts and its siblings, one per
 * model under models/, chosen in wrangler.toml) exports as its default.
 */
import type { Hono } from 'hono'
import kernel from '../shared/inference/kernel.wasm'
import { createApp } from './app'
import type { AppEnv } from './app-env'
import { createModelLoader } from './model'

/**
 * The app serving this artifact. It is decoded once per isolate, at startup; a bad payload is kept
 * as the 503 every route returns. The dense layers run on the WebAssembly kernel, compiled at
 * deploy time (Workers cannot compile WebAssembly at run time).
 * @example
 * import manifest from '../models/default/manifest.json'
 * import weights from '../models/default/weights.bin'
 * export default serveModel(manifest, weights)
 */
export function serveModel(manifest: unknown, weights: ArrayBuffer): Hono<AppEnv> {
  return createApp(createModelLoader(manifest, weights, { eager: true, kernel }))
}
