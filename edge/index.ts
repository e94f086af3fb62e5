/**
 * @module edge/index
 * The worker entry (`main` in wrangler.toml): the app serving the model bundled from
 * `models/default/`. To serve another model, replace that folder's `manifest.json` and
 * `weights.bin` with an exported artifact and redeploy.
 *
 * Run locally: `npm start` (http://127.0.0.1:8787/generate?seed=42). Deploy: `npm run deploy`.
 */
import manifest from '../models/default/manifest.json'
import weights from '../models/default/weights.bin'
import kernel from '../shared/kernel.wasm'
import { createApp } from './app'
import { createModelLoader } from './model'

// Decoded once per isolate, at startup; a bad payload is kept as the 503 every route returns. The
// dense layers run on the WebAssembly kernel, compiled at deploy time (Workers cannot compile
// WebAssembly at run time).
const loadModel = createModelLoader(manifest, weights, { eager: true, kernel })

export default createApp(loadModel)
