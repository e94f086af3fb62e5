/**
 * @module edge/app
 * The HTTP API: MNIST digits from the bundled generator as PNGs.
 *
 * - `GET /generate?seed=&digit=&scale=` one 28×28 digit, upscaled `scale`× (nearest neighbour)
 * - `GET /grid?seed=&n=&digit=&scale=` `n` digits for seeds `seed … seed+n−1` on one PNG, or with
 *   `digit=all` one row of the digits 0–9 per seed
 * - `GET /interpolate?from=&to=&digit=&steps=&scale=&format=` a latent walk as a strip or an APNG
 *   (edge/interpolate)
 * - `GET /model` the manifest summary; `GET /healthz` 200 or 503
 * - `GET /` the live demo page, with its script and the model payload (edge/demo)
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
import { validator } from 'hono/validator'
import { seedLabel } from '../shared/latent/condition'
import { renderClassGridPng, renderDigitPng, renderGridPng } from '../shared/render/render'
import { benchRoutes } from './bench-routes'
import { addDemoRoutes } from './demo'
import { addInterpolateRoute } from './interpolate'
import { ModelUnavailableError } from './model'
import type { LoadedModel, ModelLoader } from './model'
import { etagMatches, pngResponse } from './png-response'
import { checkDigit, COUNT, DIGIT, GRID_DIGIT, parseQuery, SCALE, SEED } from './query'

/** Hono environment of the app: the optional bench binding and the per-request model. */
export interface AppEnv {
  Bindings: Partial<Cloudflare.Env>
  Variables: { model: LoadedModel }
}

const ROUTES = 'GET /, /generate, /grid, /interpolate, /model or /healthz'
/** What every route answers; OPTIONS is the CORS preflight, answered on any path. */
const ALLOW = 'GET, HEAD, OPTIONS'
// /grid's n without its default: 16 digits, or one row of every class with digit=all.
const GRID_N = { min: COUNT.min, max: COUNT.max } as const
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

  app.get(
    '/generate',
    validator('query', parseQuery({ seed: SEED, digit: DIGIT, scale: SCALE })),
    withModel,
    (c) => {
      const { seed, digit, scale } = c.req.valid('query')
      const { generator } = c.var.model
      checkDigit(digit, generator.classes)
      // The seed's digit when none is named, so ?seed=42 and ?seed=42&digit=2 share one ETag.
      // Unconditional models keep the ETag they always had (no digit in it).
      const label = digit ?? (seed === undefined ? undefined : seedLabel(seed, generator.classes))
      return pngResponse(c, {
        kind: 'generate',
        seed,
        params: label === undefined ? { scale } : { digit: label, scale },
        render: (s) => renderDigitPng(generator, s, scale, digit),
      })
    },
  )

  app.get(
    '/grid',
    validator('query', parseQuery({ seed: SEED, n: GRID_N, digit: GRID_DIGIT, scale: SCALE })),
    withModel,
    (c) => {
      const { seed, n: count, digit, scale } = c.req.valid('query')
      const { generator } = c.var.model
      const { classes } = generator
      checkDigit(digit, classes)
      if (digit === 'all') {
        // One row per seed, one column per class: n counts tiles, so it must fill whole rows.
        const n = count ?? classes
        if (n % classes !== 0) {
          const message =
            `Expected n to be a multiple of ${classes} with digit=all ` +
            `(one row of the ${classes} digits per seed), but got ${n}.`
          throw new HTTPException(400, { message })
        }
        // `all` is the one word among the ETag params: ImageRequest types them as numbers, but
        // edge/png-response formats any value into the ETag.
        const params: Record<string, number | string> = { n, digit: 'all', scale }
        return pngResponse(c, {
          kind: 'grid',
          seed,
          params: params as Record<string, number>,
          render: (s) => renderClassGridPng(generator, s, n / classes, scale),
        })
      }
      const n = count ?? COUNT.default
      return pngResponse(c, {
        kind: 'grid',
        seed,
        params: digit === undefined ? { n, scale } : { n, digit, scale },
        render: (s) => renderGridPng(generator, s, n, scale, digit),
      })
    },
  )

  addInterpolateRoute(app, withModel)

  app.get('/model', validator('query', parseQuery({})), withModel, (c) => {
    const { manifest, generator, sha256, parameterCount } = c.var.model
    const etag = `"${sha256}:model"`
    // Same URL, new model after a deploy: revalidate every time, cheap thanks to the ETag.
    const headers = { ETag: etag, 'Cache-Control': 'no-cache', 'X-Model': sha256 }
    if (etagMatches(c.req.header('If-None-Match'), etag)) return c.body(null, 304, headers)
    return c.json(
      {
        format: manifest.format,
        formatVersion: manifest.formatVersion,
        architecture: manifest.model,
        latentDim: manifest.latentDim,
        imageShape: manifest.model.imageShape,
        // Conditional models take /generate?digit=… (and /grid, /interpolate); 0 classes: none.
        conditional: generator.classes > 0,
        classes: generator.classes,
        dtype: manifest.dtype,
        parameterCount,
        payloadBytes: manifest.payload.byteLength,
        sha256,
        ...(manifest.training && { training: manifest.training }),
        ...(manifest.eval && { eval: manifest.eval }),
      },
      200,
      headers,
    )
  })

  app.get('/healthz', validator('query', parseQuery({})), withModel, (c) => {
    const { sha256 } = c.var.model
    return c.json({ status: 'ok', model: sha256 }, 200, { 'Cache-Control': 'no-store' })
  })

  addDemoRoutes(app, withModel)
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
