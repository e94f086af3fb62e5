/**
 * @module edge/app
 * The HTTP API: MNIST digits from the bundled generator as PNGs. Each group of routes is a
 * sub-app in edge/routes/, mounted here; this file holds what is common to all of them (CORS,
 * headers, the model middleware, 404/405 and the error JSON).
 *
 * - `GET /generate?seed=&digit=&scale=` one 28×28 digit, upscaled `scale`× (nearest neighbour)
 * - `GET /grid?seed=&n=&digit=&scale=` `n` digits for seeds `seed … seed+n−1` on one PNG, or with
 *   `digit=all` one row of the digits 0–9 per seed
 * - `GET /interpolate?from=&to=&digit=&steps=&scale=&format=` a latent walk as a strip or an APNG
 *   (edge/routes/interpolate)
 * - `GET /model` the manifest summary; `GET /healthz` 200 or 503
 * - `GET /` the live demo page, with its script and the model payload (edge/routes/demo)
 *
 * `digit` (0..9) picks the class of a conditional model; without it the seed picks it
 * (`seedLabel`: seed mod 10), so `?seed=42` and `?seed=42&digit=2` are the same image, with the
 * same ETag. An unconditional model answers any `digit` with a 400.
 *
 * Every route rejects unknown, repeated and malformed query parameters with a 400 JSON error
 * naming the parameter, so each image has exactly one URL per seed. HEAD is answered like GET
 * without the body; any other method on a route's path is a 405 with `Allow`. Errors are
 * `{ "error": "…" }`; a query string never yields a 5xx.
 */
import { Hono } from 'hono'
import type { Context } from 'hono'
import { cors } from 'hono/cors'
import { createMiddleware } from 'hono/factory'
import { HTTPException } from 'hono/http-exception'
import { TrieRouter } from 'hono/router/trie-router'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { AppEnv } from './app-env'
import { ModelUnavailableError } from './model'
import type { ModelLoader } from './model'
import { benchRoutes } from './routes/bench'
import { demoRoutes } from './routes/demo'
import { imageRoutes } from './routes/images'
import { interpolateRoutes } from './routes/interpolate'
import { modelRoutes } from './routes/model'

export type { AppEnv }

const ROUTES = 'GET /, /generate, /grid, /interpolate, /model or /healthz'
/** What every route answers; OPTIONS is the CORS preflight, answered on any path. */
const ALLOW = 'GET, HEAD, OPTIONS'
// Error paths are echoed back; cap them so a 64 KiB URL does not become a 64 KiB error body.
const MAX_PATH_ECHO = 80

/**
 * Builds the app around a model loader, so tests can serve fixtures or a corrupt payload.
 * @example
 * const app = createApp(createModelLoader(manifest, weights))
 * const res = await app.request('/generate?seed=42') // image/png, 28×28
 */
export function createApp(loadModel: ModelLoader): Hono<AppEnv> {
  const app = new Hono<AppEnv>()

  // CORS: images are embeddable anywhere; X-Seed must be readable to reproduce a random digit.
  app.use(
    cors({
      origin: '*',
      allowMethods: ['GET', 'HEAD'],
      allowHeaders: ['If-None-Match'],
      exposeHeaders: ['ETag', 'X-Seed', 'X-Model'],
    }),
  )
  app.use(async (c, next) => {
    await next()
    c.res.headers.set('X-Content-Type-Options', 'nosniff')
  })

  const withModel = createMiddleware<AppEnv>(async (c, next) => {
    c.set('model', loadModel())
    await next()
  })

  app.route('/', imageRoutes(withModel))
  app.route('/', interpolateRoutes(withModel))
  app.route('/', modelRoutes(withModel))
  app.route('/', demoRoutes(withModel))
  // Taken before the bench routes are mounted: without BENCH they stay a 404 for every method.
  const paths = routePaths(app)
  app.route('/__bench', benchRoutes(withModel))

  app.notFound((c) => {
    const path = c.req.path.slice(0, MAX_PATH_ECHO)
    const { method } = c.req
    if (method !== 'GET' && method !== 'HEAD' && paths.match('GET', c.req.path)[0].length > 0) {
      const message = `Expected GET or HEAD for ${path}, but got ${method}.`
      return errorJson(c, 405, message, { Allow: ALLOW })
    }
    return errorJson(c, 404, `Expected ${ROUTES}, but got ${method} ${path}.`)
  })

  app.onError((err, c) => {
    if (err instanceof HTTPException) {
      return errorJson(c, err.status as ContentfulStatusCode, err.message || 'Bad request.')
    }
    if (err instanceof ModelUnavailableError) return errorJson(c, 503, err.message)
    console.error(err)
    return errorJson(c, 500, 'Internal server error.')
  })

  return app
}

/**
 * The paths of the GET routes registered so far, as a router: a request that matches one with
 * another method gets a 405 instead of a 404, for every route at once (a new route needs no line).
 */
function routePaths(app: Hono<AppEnv>): TrieRouter<true> {
  const router = new TrieRouter<true>()
  for (const { method, path } of app.routes) if (method === 'GET') router.add('GET', path, true)
  return router
}

function errorJson(
  c: Context<AppEnv>,
  status: ContentfulStatusCode,
  message: string,
  headers: Record<string, string> = {},
): Response {
  // Errors are never cached: a 503 is transient and a 400/404 is cheap to recompute.
  return c.json({ error: message }, status, { ...headers, 'Cache-Control': 'no-store' })
}
