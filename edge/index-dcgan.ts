/**
 * @module edge/index-dcgan
 * The worker entry of `[env.dcgan]` in wrangler.toml: the app serving `models/dcgan/` (the
 * unconditional convolutional model), instead of `models/default/`.
 *
 * Run locally: `MODEL=dcgan npm start`. Deploy: `MODEL=dcgan npm run deploy`, as the worker
 * `digit-gan-dcgan` (`MODEL` becomes wrangler's `--env`).
 */
import manifest from '../models/dcgan/manifest.json'
import weights from '../models/dcgan/weights.bin'
import { serveModel } from './serve'

export default serveModel(manifest, weights)
