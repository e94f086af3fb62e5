/**
 * @module edge/routes/demo
 * The live demo: the page at `/` (edge/demo-page), its script at a content-hashed
 * `/demo.<hash>.js`, and the model payload at `/model/<sha256>.bin`. Script and payload URLs
 * change whenever their bytes do, so both are cached forever; the page itself names them and is
 * revalidated on every visit (`no-cache` + ETag), so a deploy reaches returning visitors at once.
 *
 * The script is web/demo.ts bundled by tools/build-web.ts into dist-web/demo.js (git-ignored; built by
 * wrangler's `[build]` step before `wrangler dev`/`deploy` and by vitest's global setup)
 * and imported here as text (the `Text` rule in wrangler.toml).
 */
import { Hono } from 'hono'
import type { Context } from 'hono'
import { validator } from 'hono/validator'
import { sha256Hex } from '../../shared/model/weights'
import demoScript from '../../dist-web/demo.js'
import { DIRECTION_MAX, T_MAX, VIEWS, defaultTarget, stateQuery } from '../../shared/render/demo-state'
import type { DemoState } from '../../shared/render/demo-state'
import type { AppEnv, WithModel } from '../app-env'
import { renderDemoPage } from '../demo-page'
import { etagMatches, IMMUTABLE, randomSeed } from '../png-response'
import { checkDigit, DIGIT, parseQuery, SEED } from '../query'
import type { QueryParam } from '../query'

const SCRIPT_HASH = sha256Hex(new TextEncoder().encode(demoScript)).slice(0, 16)
/** Where the page loads its script from; changes with every change of the bundle. */
export const SCRIPT_PATH = `/demo.${SCRIPT_HASH}.js`

const DIRECTION = { min: -DIRECTION_MAX, max: DIRECTION_MAX, default: 0 } as const
/** The query of `/`: the page state of shared/render/demo-state.ts. No `seed` ⇒ a random one (not cached). */
export const PAGE_PARAMS = {
  seed: SEED,
  // Conditional models only (an unconditional one answers 400, as /generate does).
  digit: DIGIT,
  to: SEED,
  t: { min: 0, max: T_MAX, default: 0 },
  // d1 … d4: one per DIRECTION_COUNT (checked in test/edge/demo.test.ts)
  d1: DIRECTION,
  d2: DIRECTION,
  d3: DIRECTION,
  d4: DIRECTION,
  view: { values: VIEWS, default: 'digit' },
} as const satisfies Record<string, QueryParam>

/**
 * The page allows scripts and connections only from its own origin (the bundle and the payload);
 * the one inline style block is allowed, nothing inline runs.
 */
const CSP = [
  "default-src 'none'",
  // 'wasm-unsafe-eval' lets the page compile the engine's WebAssembly kernel, nothing else.
  "script-src 'self' 'wasm-unsafe-eval'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "style-src 'unsafe-inline'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

/**
 * `/`, the script and the payload routes; `withModel` is the app's middleware that sets
 * `c.var.model`.
 * @example app.route('/', demoRoutes(withModel))
 */
export function demoRoutes(withModel: WithModel): Hono<AppEnv> {
  const routes = new Hono<AppEnv>()
  routes.get('/', validator('query', parseQuery(PAGE_PARAMS)), withModel, (c) => {
    const { seed: given, digit, to, t, d1, d2, d3, d4, view } = c.req.valid('query')
    const { manifest, generator, sha256, parameterCount } = c.var.model
    checkDigit(digit, generator.classes)
    const seed = given ?? randomSeed()
    const state: DemoState = {
      seed,
      ...(digit !== undefined && { digit }),
      to: to ?? defaultTarget(seed),
      t,
      directions: [d1, d2, d3, d4],
      view,
    }
    const fixed = given !== undefined
    const etag = `"${sha256}:page:${SCRIPT_HASH}:${stateQuery(state)}"`
    const headers = {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': fixed ? 'no-cache' : 'no-store',
      ETag: etag,
      'Content-Security-Policy': CSP,
      'X-Model': sha256,
    }
    if (fixed && etagMatches(c.req.header('If-None-Match'), etag)) return c.body(null, 304, headers)
    const config = { state, modelUrl: `/model/${sha256}.bin`, manifest }
    const page = renderDemoPage({
      config,
      scriptUrl: SCRIPT_PATH,
      parameterCount,
      classes: generator.classes,
    })
    return c.body(page, 200, headers)
  })

  routes.get(SCRIPT_PATH, validator('query', parseQuery({})), (c) => {
    return immutable(c, `"${SCRIPT_HASH}"`, 'text/javascript; charset=utf-8', demoScript)
  })

  routes.get('/model/:file', validator('query', parseQuery({})), withModel, (c) => {
    const { sha256, payload } = c.var.model
    // Only the current payload: an old hash must not get new bytes under an immutable URL.
    if (c.req.param('file') !== `${sha256}.bin`) return c.notFound()
    return immutable(c, `"${sha256}:payload"`, 'application/octet-stream', payload)
  })
  return routes
}

/** A response whose URL names its bytes: cached forever, 304 on a matching `If-None-Match`. */
function immutable(
  c: Context<AppEnv>,
  etag: string,
  contentType: string,
  body: string | Uint8Array<ArrayBuffer>,
): Response {
  const headers = { 'Content-Type': contentType, 'Cache-Control': IMMUTABLE, ETag: etag }
  if (etagMatches(c.req.header('If-None-Match'), etag)) return c.body(null, 304, headers)
  return c.body(body, 200, headers)
}
