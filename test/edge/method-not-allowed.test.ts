/**
 * @module test/edge/method-not-allowed
 * A known path with a method other than GET or HEAD is a 405 with `Allow`, in the JSON error shape
 * of the 400s, on every route (the check reads the registered routes, so none can be forgotten);
 * an unknown path stays a 404 whatever the method.
 */
import { describe, expect, it } from 'vitest'
import { createApp } from '../../edge/app'
import { SCRIPT_PATH } from '../../edge/routes/demo'
import { createModelLoader } from '../../edge/model'
import { decodeWeights } from '../../shared/model/weights'
import manifest from '../fixtures/tiny-model/manifest.json'
import weights from '../fixtures/tiny-model/weights.bin'
import { expectJsonError } from './bad-request'

const app = createApp(createModelLoader(manifest, weights))
const SHA = decodeWeights(manifest, new Uint8Array(weights)).manifest.payload.sha256
const PATHS = ['/', '/generate', '/grid', '/interpolate', '/model', '/healthz', SCRIPT_PATH]

describe('a route with the wrong method', () => {
  it.each(['POST', 'PUT', 'DELETE', 'PATCH'])('should answer %s with 405', async (method) => {
    for (const path of [...PATHS, `/model/${SHA}.bin`]) {
      const res = await app.request(`${path}?seed=1`, { method })
      expect(res.headers.get('Allow'), path).toBe('GET, HEAD, OPTIONS')
      expect(res.headers.get('Access-Control-Allow-Origin')).toBe('*')
      await expectJsonError(res, 405, `Expected GET or HEAD for ${path}, but got ${method}.`)
    }
  })

  it('should still serve GET, HEAD and the CORS preflight on those paths', async () => {
    expect((await app.request('/generate?seed=1')).status).toBe(200)
    expect((await app.request('/generate?seed=1', { method: 'HEAD' })).status).toBe(200)
    const preflight = await app.request('/generate', {
      method: 'OPTIONS',
      headers: { Origin: 'https://example.com', 'Access-Control-Request-Method': 'GET' },
    })
    expect(preflight.status).toBe(204)
  })

  it('should keep the bench routes a 404 for every method without BENCH', async () => {
    const res = await app.request('/__bench/constant?seed=1', { method: 'POST' })
    await expectJsonError(res, 404, '/generate')
    expect(res.headers.get('Allow')).toBeNull()
  })
})
