/**
 * @module test/edge/fuzz
 * Property: no query string, however malformed, makes any route answer 5xx, and every 4xx is a
 * JSON `{ error }`: the image routes, `/interpolate`, the demo page, its script and the payload,
 * on an unconditional model and on a conditional one (where `digit`, `digit=all` and the grid's
 * n-must-fill-rows rule reach the rendering path). Raw strings go into the URL unescaped on
 * purpose (stray `%`, `&`, `=`, `#`, `+`, control and non-BMP characters), next to well-formed
 * pairs built from the real names.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createApp } from '../../edge/app'
import { SCRIPT_PATH } from '../../edge/routes/demo'
import { createModelLoader } from '../../edge/model'
import cganManifest from '../fixtures/tiny-cgan/manifest.json'
import cganWeights from '../fixtures/tiny-cgan/weights.bin'
import manifest from '../fixtures/tiny-model/manifest.json'
import weights from '../fixtures/tiny-model/weights.bin'

const app = createApp(createModelLoader(manifest, weights))
const cgan = createApp(createModelLoader(cganManifest, cganWeights))
/** The routes whose parameters depend on the model being conditional. */
const CGAN_ROUTES = ['/generate', '/grid', '/interpolate', '/']
const ROUTES = [
  '/generate',
  '/grid',
  '/interpolate',
  '/model',
  '/healthz',
  '/',
  SCRIPT_PATH,
  `/model/${manifest.payload.sha256}.bin`,
  '/nope',
  '/__bench/render',
]

const name = fc.oneof(
  fc.constantFrom('seed', 'scale', 'n', 'images', '__proto__', 'constructor', 'seed[]', ''),
  fc.constantFrom('from', 'to', 'steps', 'format', 't', 'd1', 'd4', 'view', 'digit', 'digit'),
  fc.string({ maxLength: 8 }),
)
const value = fc.oneof(
  fc.integer({ min: -60, max: 70 }).map(String),
  fc.constantFrom('4294967295', '4294967296', '1e3', '0x1f', '+1', '1.0', '%', '%zz', '%00', ''),
  fc.constantFrom('png', 'apng', 'digit', 'grid', '-0', '--1', '-', 'PNG', 'all', 'ALL', '07'),
  fc.bigInt({ min: 0n, max: 10n ** 30n }).map(String),
  fc.string({ unit: 'binary', maxLength: 12 }),
)
const encodedPair = fc
  .tuple(name, value, fc.boolean())
  .map(([k, v, encode]) =>
    encode ? `${encodeURIComponent(k)}=${encodeURIComponent(v)}` : `${k}=${v}`,
  )
// Valid requests for /interpolate need two seeds: a prefix that often supplies them, so the
// property also reaches the rendering path with arbitrary steps, scale and format.
const prefix = fc.constantFrom(
  '',
  '',
  'from=1&to=2&',
  'from=4294967295&to=0&steps=2&',
  'seed=1&digit=all&',
  'seed=1&digit=3&',
)
const query = fc.oneof(
  fc
    .tuple(prefix, fc.array(encodedPair, { maxLength: 4 }))
    .map(([head, pairs]) => head + pairs.join('&')),
  fc.string({ unit: 'binary', maxLength: 40 }),
)

const cases = [
  ...ROUTES.map((route) => ({ model: 'unconditional', route, on: app })),
  ...CGAN_ROUTES.map((route) => ({ model: 'conditional', route, on: cgan })),
]

describe('arbitrary query strings', () => {
  it.each(cases)('should never answer $route ($model) with 5xx, every 4xx JSON', async (c) => {
    await fc.assert(
      fc.asyncProperty(query, fc.constantFrom('GET', 'HEAD'), async (q, method) => {
        const res = await c.on.request(`${c.route}?${q}`, { method })
        expect(res.status).toBeLessThan(500)
        if (res.status >= 400) {
          expect(res.headers.get('Content-Type')).toMatch(/^application\/json/)
          if (method === 'GET') {
            const body = (await res.json()) as { error: unknown }
            expect(typeof body.error).toBe('string')
          }
        } else {
          await res.arrayBuffer()
        }
      }),
      { numRuns: 150 },
    )
  })
})
