/**
 * @module edge/routes/model
 * `GET /model`: the served model's manifest summary (revalidated with its ETag on every use, so a
 * deploy is seen at once); `GET /healthz`: 200 with the model's sha256, or the 503 of a model
 * that failed to decode.
 */
import { Hono } from 'hono'
import { validator } from 'hono/validator'
import type { AppEnv, WithModel } from '../app-env'
import { etagMatches } from '../png-response'
import { parseQuery } from '../query'

/**
 * The model routes; `withModel` is the app's middleware that sets `c.var.model`.
 * @example app.route('/', modelRoutes(withModel))
 */
export function modelRoutes(withModel: WithModel): Hono<AppEnv> {
  const routes = new Hono<AppEnv>()

  routes.get('/model', validator('query', parseQuery({})), withModel, (c) => {
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

  routes.get('/healthz', validator('query', parseQuery({})), withModel, (c) => {
    const { sha256 } = c.var.model
    return c.json({ status: 'ok', model: sha256 }, 200, { 'Cache-Control': 'no-store' })
  })

  return routes
}
