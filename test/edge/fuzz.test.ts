/**
 * @module test/edge/fuzz.test
 * Property: no query string, however malformed, makes any route answer 5xx, and every 4xx is a
 * JSON `{ error }`: the image routes, `/interpolate`, the demo page, its script and the payload.
 * Raw strings go into the URL unescaped on purpose (stray `%`, `&`, `=`, `#`, `+`, control and
 * non-BMP characters), next to well-formed pairs built from the real names.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createApp } from '../../edge/app'
import { SCRIPT_PATH } from '../../edge/demo'
import { createModelLoader } from '../../edge/model'
import manifest from '../fixtures/tiny-model/manifest.json'
import weights from '../fixtures/tiny-model/weights.bin'

const app = createApp(createModelLoader(manifest, weights))
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
  fc.constantFrom('from', 'to', 'steps', 'format', 't', 'd1', 'd4', 'view'),
  fc.string({ maxLength: 8 }),
)
const value = fc.oneof(
  fc.integer({ min: -60, max: 70 }).map(String),
  fc.constantFrom('4294967295', '4294967296', '1e3', '0x1f', '+1', '1.0', '%', '%zz', '%00', ''),
  fc.constantFrom('png', 'apng', 'digit', 'grid', '-0', '--1', '-', 'PNG'),
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
const prefix = fc.constantFrom('', '', 'from=1&to=2&', 'from=4294967295&to=0&steps=2&')
const query = fc.oneof(
  fc
    .tuple(prefix, fc.array(encodedPair, { maxLength: 4 }))
    .map(([head, pairs]) => head + pairs.join('&')),
  fc.string({ unit: 'binary', maxLength: 40 }),
)

describe('arbitrary query strings', () => {
  it.each(ROUTES)('should never answer %s with 5xx, and every 4xx is JSON', async (route) => {
    await fc.assert(
      fc.asyncProperty(query, fc.constantFrom('GET', 'HEAD'), async (q, method) => {
        const res = await app.request(`${route}?${q}`, { method })
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
