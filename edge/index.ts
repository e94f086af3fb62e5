/**
 * @module edge/index
 * The worker entry (`main` in wrangler.toml): the app serving the model bundled from
 * `models/default/`. Each other model has its own entry, e.g. edge/index-seed-mlp.ts for
 * `models/seed-mlp/`, selected by its `[env.<name>]` in wrangler.toml (`MODEL=seed-mlp npm start`);
 * every entry imports exactly one model, so only that one is in the bundle.
 *
 * Run locally: `npm start` (http://127.0.0.1:8787/generate?seed=42). Deploy: `npm run deploy`.
 */
import manifest from '../models/default/manifest.json'
import weights from '../models/default/weights.bin'
import { serveModel } from './serve'

export default serveModel(manifest, weights)
