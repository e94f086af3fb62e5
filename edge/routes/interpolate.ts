/**
 * @module edge/routes/interpolate
 * `GET /interpolate?from=&to=&digit=&steps=&scale=&format=`: a walk along the great circle between
 * the latents of two seeds (see shared/render/interpolate). `format=png` (default) is one strip of `steps`
 * digits in a row, no padding; `format=apng` is an animated PNG of the same digits that loops
 * forever. The first and last digits are exactly the `/generate` images of `from` and `to`.
 *
 * A conditional model holds one digit along the whole walk: `digit`, by default the one `from`
 * picks (`seedLabel(from)`), so the end tiles are `/generate?seed=from&digit=d` and
 * `/generate?seed=to&digit=d`. An unconditional model refuses `digit`.
 *
 * `from` and `to` are required (a walk between two random seeds would need two `X-Seed` headers
 * to be reproducible), so every response names its bytes and is cached like a seeded `/generate`.
 */
import { Hono } from 'hono'
import { validator } from 'hono/validator'
import { seedLabel } from '../../shared/latent/condition'
import { renderInterpolationApng, renderInterpolationPng } from '../../shared/render/interpolate'
import type { AppEnv, WithModel } from '../app-env'
import { fixedImageResponse } from '../png-response'
import { checkDigit, DIGIT, parseQuery, SCALE, SEED } from '../query'
import type { EnumParam, IntParam } from '../query'

/** Both ends of the walk: any uint32 seed, required. */
export const ENDPOINT = { ...SEED, required: true } as const satisfies IntParam
/** Digits in the strip or frames in the animation, both seeds included. */
export const STEPS = { min: 2, max: 32, default: 8 } as const satisfies IntParam
/** `png`: a still strip; `apng`: an animation (served as `image/apng`). */
export const FORMAT = { values: ['png', 'apng'], default: 'png' } as const satisfies EnumParam

const PARAMS = {
  from: ENDPOINT,
  to: ENDPOINT,
  digit: DIGIT,
  steps: STEPS,
  scale: SCALE,
  format: FORMAT,
} as const
/**
 * `GET /interpolate`; `withModel` is the app's middleware that sets `c.var.model`.
 * @example app.route('/', interpolateRoutes(withModel))
 */
export function interpolateRoutes(withModel: WithModel): Hono<AppEnv> {
  const routes = new Hono<AppEnv>()
  routes.get(
    '/interpolate',
    validator('query', parseQuery(PARAMS)),
    withModel,
    (c) => {
      const { from, to, digit, steps, scale, format } = c.req.valid('query')
      const { generator } = c.var.model
      // The digit held along the walk, named in the ETag whether given or picked by `from`.
      const label = checkDigit(digit, generator.classes) ?? seedLabel(from, generator.classes)
      const apng = format === 'apng'
      const params: Record<string, number | string> =
        label === undefined
          ? { from, to, steps, scale, format }
          : { from, to, digit: label, steps, scale, format }
      return fixedImageResponse(c, {
        kind: 'interpolate',
        params,
        contentType: apng ? 'image/apng' : 'image/png',
        render: () =>
          apng
            ? renderInterpolationApng(generator, from, to, steps, scale, label)
            : renderInterpolationPng(generator, from, to, steps, scale, label),
      })
    },
  )
  return routes
}
