/**
 * @module edge/index-seed-mlp
 * The worker entry of `[env.seed-mlp]` in wrangler.toml: the app serving `models/seed-mlp/` (the
 * tutorial MLP, whatever digit its seed draws), instead of `models/default/`.
 *
 * Run locally: `MODEL=seed-mlp npm start`. Deploy: `MODEL=seed-mlp npm run deploy`, as the worker
 * `digit-gan-seed-mlp` (`MODEL` becomes wrangler's `--env`).
 */
import manifest from '../models/seed-mlp/manifest.json'
import weights from '../models/seed-mlp/weights.bin'
import { serveModel } from './serve'

export default serveModel(manifest, weights)
