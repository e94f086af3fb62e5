/**
 * @module edge/routes/bench
 * Routes for `npm run bench:edge`, mounted under `/__bench` and answered only when the `BENCH`
 * binding is "1" (`wrangler dev --var BENCH:1`); otherwise they are an ordinary 404.
 *
 * - `GET /__bench/constant?seed=&scale=` the control: the same validation, headers and response
 *   path as `/generate`, but the bytes are one PNG rendered once per isolate. The throughput ratio
 *   generate/constant therefore isolates the cost of the forward pass and PNG encoding.
 * - `GET /__bench/render?images=` per-image timings measured inside workerd (see edge/microbench).
 */
import { Hono } from 'hono'
import { validator } from 'hono/validator'
import { renderDigitPng } from '../../shared/render/render'
import type { AppEnv, WithModel } from '../app-env'
import { measureRender } from '../microbench'
import { pngResponse } from '../png-response'
import { parseQuery, SCALE, SEED } from '../query'

// Capped so one request stays a few seconds of CPU even on a slow machine.
const IMAGES = { min: 1, max: 10_000, default: 1000 }

/** The bench sub-app; `withModel` is the app's middleware that sets `c.var.model`. */
export function benchRoutes(withModel: WithModel): Hono<AppEnv> {
  const bench = new Hono<AppEnv>()
  bench.use(async (c, next) => (c.env?.BENCH === '1' ? next() : c.notFound()))

  let constant: Uint8Array<ArrayBuffer> | undefined
  bench.get(
    '/constant',
    validator('query', parseQuery({ seed: SEED, scale: SCALE })),
    withModel,
    (c) => {
      const { seed, scale } = c.req.valid('query')
      const png = (constant ??= renderDigitPng(c.var.model.generator, 0, 1))
      return pngResponse(c, { kind: 'constant', seed, params: { scale }, render: () => png })
    },
  )

  bench.get('/render', validator('query', parseQuery({ images: IMAGES })), withModel, (c) => {
    const { images } = c.req.valid('query')
    const timing = measureRender(c.var.model.generator, images, () => performance.now())
    return c.json(timing, 200, { 'Cache-Control': 'no-store' })
  })

  return bench
}
