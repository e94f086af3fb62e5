/**
 * @module edge/routes/train
 * `GET /train`: the page that trains a GAN in the browser (edge/train-page.ts). Only the HTML is
 * the worker's: its scripts, the CPU step's WebAssembly and the gzip-compressed MNIST files are
 * Cloudflare static assets under `/train/` (the `[assets]` of wrangler.toml, built into
 * dist-train/ by tools/build-train.ts, content-hashed and cached immutable by its `_headers`), so
 * none of their megabytes count against the worker's 1 MiB budget. The build writes the hashed
 * names to dist-web/train-assets.json, bundled here.
 *
 * Headers: the page is cross-origin isolated (COOP same-origin + COEP require-corp), which lets
 * the training worker share the engine's memory with its helper threads; everything it loads is
 * its own origin, so isolation costs nothing. The CSP allows scripts and workers from the origin,
 * WebAssembly compilation ('wasm-unsafe-eval', not 'unsafe-eval'), the loss chart as a data: image,
 * and the one inline style block; nothing inline runs. The page names its assets and is
 * revalidated on every visit (`no-cache` + ETag), so a deploy reaches returning visitors at once.
 */
import { Hono } from 'hono'
import { validator } from 'hono/validator'
import built from '../../dist-web/train-assets.json'
import { sha256Hex } from '../../shared/codec/sha256'
import type { AppEnv } from '../app-env'
import { etagMatches } from '../png-response'
import { parseQuery } from '../query'
import { renderTrainPage } from '../train-page'

const PAGE = renderTrainPage(built)
const ETAG = `"train:${sha256Hex(new TextEncoder().encode(PAGE)).slice(0, 16)}"`

/** The page's Content-Security-Policy. */
export const TRAIN_CSP = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "style-src 'unsafe-inline'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

/** Cross-origin isolation: SharedArrayBuffer between the training worker and its helpers. */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
} as const

/**
 * The `/train` route.
 * @example app.route('/', trainRoutes())
 */
export function trainRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>()
  routes.get('/train', validator('query', parseQuery({})), (c) => {
    const headers = {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-cache',
      ETag: ETAG,
      'Content-Security-Policy': TRAIN_CSP,
      ...ISOLATION_HEADERS,
    }
    if (etagMatches(c.req.header('If-None-Match'), ETAG)) return c.body(null, 304, headers)
    return c.body(PAGE, 200, headers)
  })
  return routes
}
