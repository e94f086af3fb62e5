/**
 * @module test/edge/cgan-worker
 * A worker entry serving the conditional fixture (test/fixtures/tiny-cgan/) instead of a shipped
 * model, with wrangler.toml's rules and build step: the browser test of the demo page's digit
 * selector runs `wrangler dev test/edge/cgan-worker.ts` (see test/e2e/demo-conditional.test.ts).
 */
import { serveModel } from '../../edge/serve'
import manifest from '../fixtures/tiny-cgan/manifest.json'
import weights from '../fixtures/tiny-cgan/weights.bin'

export default serveModel(manifest, weights)
