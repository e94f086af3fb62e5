/**
 * @module edge/routes/images
 * `GET /generate?seed=&digit=&scale=`: one 28×28 digit, upscaled `scale`× (nearest neighbour);
 * `GET /grid?seed=&n=&digit=&scale=`: `n` digits for seeds `seed … seed+n−1` on one PNG, or with
 * `digit=all` one row of the digits 0–9 per seed. Both go through edge/png-response's caching
 * contract (ETag per model, seed and parameters; a random seed is named in `X-Seed`).
 */
import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { validator } from 'hono/validator'
import { seedLabel } from '../../shared/latent/condition'
import { renderClassGridPng, renderDigitPng, renderGridPng } from '../../shared/render/render'
import type { AppEnv, WithModel } from '../app-env'
import { pngResponse } from '../png-response'
import { checkDigit, COUNT, DIGIT, GRID_DIGIT, parseQuery, SCALE, SEED } from '../query'

// /grid's n without its default: 16 digits, or one row of every class with digit=all.
const GRID_N = { min: COUNT.min, max: COUNT.max } as const

/**
 * The image routes; `withModel` is the app's middleware that sets `c.var.model`.
 * @example app.route('/', imageRoutes(withModel))
 */
export function imageRoutes(withModel: WithModel): Hono<AppEnv> {
  const routes = new Hono<AppEnv>()

  routes.get(
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

  routes.get(
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

  return routes
}
