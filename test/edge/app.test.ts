/**
 * @module test/edge/app
 * Every route of the app inside workerd, served from the committed fixture model and compared with
 * the shared pipeline called directly (so nothing here depends on which weights are shipped).
 */
import { describe, expect, it } from 'vitest'
import { createApp } from '../../edge/app'
import { createModelLoader } from '../../edge/model'
import { IMMUTABLE } from '../../edge/png-response'
import { createGenerator } from '../../shared/inference/forward'
import { renderDigitPng, renderGridPng } from '../../shared/render/render'
import { decodeWeights } from '../../shared/model/weights'
import manifest from '../fixtures/tiny-model/manifest.json'
import weights from '../fixtures/tiny-model/weights.bin'
import { expectBadRequest } from './bad-request'
import { pngInfo } from './png-info'

const app = createApp(createModelLoader(manifest, weights))
const decoded = decodeWeights(manifest, new Uint8Array(weights))
const generator = createGenerator(decoded)
const SHA = decoded.manifest.payload.sha256

async function bytes(res: Response): Promise<Uint8Array> {
  return new Uint8Array(await res.arrayBuffer())
}

function expectCommonHeaders(res: Response): void {
  expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff')
  expect(res.headers.get('Access-Control-Allow-Origin')).toBe('*')
}

describe('GET /generate', () => {
  it('should return the 28×28 greyscale PNG the shared pipeline renders for the seed', async () => {
    const res = await app.request('/generate?seed=42')
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toBe('image/png')
    const png = await bytes(res)
    expect(pngInfo(png)).toEqual({ width: 28, height: 28, bitDepth: 8, colorType: 0 })
    expect(png).toEqual(renderDigitPng(generator, 42, 1))
    expect(res.headers.get('Content-Length')).toBe(String(png.byteLength))
  })

  it('should set the caching, model and CORS headers for a seeded request', async () => {
    const res = await app.request('/generate?seed=42&scale=3')
    expect(res.headers.get('ETag')).toBe(`"${SHA}:r2:generate:seed=42:scale=3"`)
    expect(res.headers.get('Cache-Control')).toBe(IMMUTABLE)
    expect(res.headers.get('Cache-Control')).toBe('public, max-age=31536000, immutable')
    expect(res.headers.get('X-Model')).toBe(SHA)
    expect(res.headers.get('X-Seed')).toBe('42')
    expect(res.headers.get('Access-Control-Expose-Headers')).toContain('X-Seed')
    expectCommonHeaders(res)
  })

  it('should upscale by scale with nearest neighbour', async () => {
    const res = await app.request('/generate?seed=7&scale=16')
    const png = await bytes(res)
    expect(pngInfo(png)).toMatchObject({ width: 448, height: 448 })
    expect(png).toEqual(renderDigitPng(generator, 7, 16))
  })

  it('should normalize equivalent spellings to one ETag', async () => {
    const a = await app.request('/generate?seed=0042')
    const b = await app.request('/generate?scale=1&seed=42')
    expect(a.headers.get('ETag')).toBe(b.headers.get('ETag'))
    expect(await bytes(a)).toEqual(await bytes(b))
  })

  it('should answer a matching If-None-Match with an empty 304 with the headers', async () => {
    const first = await app.request('/generate?seed=42')
    const etag = first.headers.get('ETag')!
    for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const res = await app.request('/generate?seed=42', { headers: { 'If-None-Match': header } })
      expect(res.status).toBe(304)
      expect(await res.text()).toBe('')
      expect(res.headers.get('ETag')).toBe(etag)
      expect(res.headers.get('Content-Type')).toBe('image/png')
      expect(res.headers.get('Cache-Control')).toBe(IMMUTABLE)
      expectCommonHeaders(res)
    }
    const stale = await app.request('/generate?seed=42', { headers: { 'If-None-Match': '"x"' } })
    expect(stale.status).toBe(200)
  })

  it('should answer HEAD with the GET headers and no body', async () => {
    const get = await app.request('/generate?seed=5&scale=2')
    const head = await app.request('/generate?seed=5&scale=2', { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(await head.text()).toBe('')
    for (const name of ['Content-Type', 'Content-Length', 'ETag', 'Cache-Control', 'X-Model']) {
      expect(head.headers.get(name)).toBe(get.headers.get(name))
    }
  })

  it('should draw a random seed without seed, report it in X-Seed and forbid caching', async () => {
    const seeds = new Set<string>()
    for (let i = 0; i < 4; i++) {
      const res = await app.request('/generate', { headers: { 'If-None-Match': '*' } })
      expect(res.status).toBe(200)
      expect(res.headers.get('Cache-Control')).toBe('no-store')
      const seed = res.headers.get('X-Seed')!
      expect(seed).toMatch(/^[0-9]+$/)
      expect(await bytes(res)).toEqual(renderDigitPng(generator, Number(seed), 1))
      seeds.add(seed)
    }
    expect(seeds.size).toBeGreaterThan(1)
  })
})

describe('GET /grid', () => {
  it('should return n consecutive seeds on one PNG, as the shared pipeline does', async () => {
    const res = await app.request('/grid?seed=4294967294&n=10&scale=2')
    expect(res.status).toBe(200)
    expect(res.headers.get('ETag')).toBe(`"${SHA}:r2:grid:seed=4294967294:n=10:scale=2"`)
    expect(res.headers.get('Cache-Control')).toBe(IMMUTABLE)
    const png = await bytes(res)
    expect(png).toEqual(renderGridPng(generator, 4294967294, 10, 2))
    expect(pngInfo(png)).toMatchObject({ width: 4 * 28 * 2, height: 3 * 28 * 2 })
  })

  it('should default to 16 digits at scale 1 and a random seed', async () => {
    const res = await app.request('/grid')
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    expect(pngInfo(await bytes(res))).toMatchObject({ width: 112, height: 112 })
  })
})

describe('GET /model and /healthz', () => {
  it('should describe the model from its manifest', async () => {
    const res = await app.request('/model')
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toMatch(/^application\/json/)
    expect(res.headers.get('Cache-Control')).toBe('no-cache')
    expectCommonHeaders(res)
    const body = (await res.json()) as Record<string, unknown>
    expect(body).toMatchObject({
      format: 'digit-gan-generator',
      architecture: decoded.manifest.model,
      latentDim: 8,
      imageShape: [28, 28, 1],
      dtype: decoded.manifest.dtype,
      parameterCount: 8 * 16 + 16 + 16 * 32 + 32 + 4 * 32 + 32 * 784 + 784,
      sha256: SHA,
      conditional: false,
      classes: 0,
    })
    expect(body).not.toHaveProperty('eval')
    const again = await app.request('/model', {
      headers: { 'If-None-Match': res.headers.get('ETag')! },
    })
    expect(again.status).toBe(304)
  })

  it('should report health with the model hash', async () => {
    const res = await app.request('/healthz')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ok', model: SHA })
  })
})

describe('errors', () => {
  it.each([
    ['/generate?seed=-1', 'seed', '0..4294967295'],
    ['/generate?seed=4294967296', 'seed', '0..4294967295'],
    ['/generate?seed=99999999999', 'seed', '0..4294967295'],
    ['/generate?seed=1.5', 'seed', '0..4294967295'],
    ['/generate?seed=1e3', 'seed', '0..4294967295'],
    ['/generate?seed=0x10', 'seed', '0..4294967295'],
    ['/generate?seed=', 'seed', '0..4294967295'],
    ['/generate?seed', 'seed', '0..4294967295'],
    ['/generate?seed=%2B1', 'seed', '0..4294967295'],
    ['/generate?seed=+1', 'seed', '0..4294967295'],
    ['/generate?seed=%201', 'seed', '0..4294967295'],
    ['/generate?seed=%D9%A1', 'seed', '0..4294967295'],
    ['/generate?seed=1&seed=1', 'seed', 'at most once'],
    ['/generate?scale=0', 'scale', '1..16'],
    ['/generate?scale=17', 'scale', '1..16'],
    ['/generate?seed=1&size=2', 'size', 'only seed, digit, scale'],
    ['/grid?n=0', 'n', '1..64'],
    ['/grid?n=65', 'n', '1..64'],
    ['/grid?seed=1&scale=2&n=2&n=3', 'n', 'at most once'],
    ['/model?x=1', 'x', 'no query parameters'],
    ['/healthz?probe', 'probe', 'no query parameters'],
  ])('should reject %s with a 400 JSON error naming %s', async (url, name, range) => {
    const res = await app.request(url)
    expectCommonHeaders(res)
    await expectBadRequest(res, name, range)
  })

  it('should answer unknown paths with a 404 JSON error, whatever the method', async () => {
    for (const [path, method] of [
      ['/index.html', 'GET'],
      ['/generate/', 'GET'],
      ['/generate/', 'POST'],
      ['/nope?seed=1', 'GET'],
      ['/nope', 'DELETE'],
      ['/__bench/constant?seed=1', 'GET'],
      ['/__bench/constant?seed=1', 'POST'],
    ]) {
      const res = await app.request(path, { method })
      expect(res.status).toBe(404)
      expect(res.headers.get('Content-Type')).toMatch(/^application\/json/)
      expectCommonHeaders(res)
      expect(((await res.json()) as { error: string }).error).toContain('/generate')
    }
  })
})
