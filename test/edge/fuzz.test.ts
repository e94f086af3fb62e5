/**
 * @module test/edge/fuzz.test
 * Property: no query string, however malformed, makes any route answer 5xx, and every 4xx is a
 * JSON `{ error }`. Raw strings go into the URL unescaped on purpose (stray `%`, `&`, `=`, `#`,
 * `+`, control and non-BMP characters), next to well-formed pairs built from the real names.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createApp } from '../../edge/app'
import { createModelLoader } from '../../edge/model'
import manifest from '../fixtures/tiny-model/manifest.json'
import weights from '../fixtures/tiny-model/weights.bin'

const app = createApp(createModelLoader(manifest, weights))
const ROUTES = ['/generate', '/grid', '/model', '/healthz', '/nope', '/__bench/render']

const name = fc.oneof(
  fc.constantFrom('seed', 'scale', 'n', 'images', '__proto__', 'constructor', 'seed[]', ''),
  fc.string({ maxLength: 8 }),
)
const value = fc.oneof(
  fc.integer({ min: -2, max: 70 }).map(String),
  fc.constantFrom('4294967295', '4294967296', '1e3', '0x1f', '+1', '1.0', '%', '%zz', '%00', ''),
  fc.bigInt({ min: 0n, max: 10n ** 30n }).map(String),
  fc.string({ unit: 'binary', maxLength: 12 }),
)
const encodedPair = fc
  .tuple(name, value, fc.boolean())
  .map(([k, v, encode]) =>
    encode ? `${encodeURIComponent(k)}=${encodeURIComponent(v)}` : `${k}=${v}`,
  )
const query = fc.oneof(
  fc.array(encodedPair, { maxLength: 4 }).map((pairs) => pairs.join('&')),
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
