/**
 * @module test/edge/conditional
 * The image routes on a conditional model (the committed test/fixtures/tiny-cgan/, 10 classes)
 * inside workerd: `digit` on /generate, /grid (with `digit=all`) and /interpolate, the digit a seed
 * picks without one (seed mod 10), ETags that name the digit, pinned bytes, and the 400s — for bad
 * digits, and for any digit on an unconditional model.
 */
import { describe, expect, it } from 'vitest'
import { createApp } from '../../edge/app'
import { createModelLoader } from '../../edge/model'
import { IMMUTABLE } from '../../edge/png-response'
import kernel from '../../shared/inference/kernel.wasm'
import { createGenerator } from '../../shared/inference/forward'
import { renderInterpolation } from '../../shared/render/interpolate'
import { renderDigit, renderDigitPng } from '../../shared/render/render'
import { decodeWeights } from '../../shared/model/weights'
import manifest from '../fixtures/tiny-cgan/manifest.json'
import weights from '../fixtures/tiny-cgan/weights.bin'
import plainManifest from '../fixtures/tiny-model/manifest.json'
import plainWeights from '../fixtures/tiny-model/weights.bin'
import { expectBadRequest } from './bad-request'
import { buildConditionalFixtureModel, CGAN_GOLDEN, CGAN_GOLDEN_URLS } from './fixture-model'
import { decodeApng, decodePng } from './png-decode'
import { sha256Hex } from '../../shared/codec/sha256'

const app = createApp(createModelLoader(manifest, weights))
const plain = createApp(createModelLoader(plainManifest, plainWeights))
const decoded = decodeWeights(manifest, new Uint8Array(weights))
const generator = createGenerator(decoded)
const SHA = decoded.manifest.payload.sha256

async function get(url: string, init?: RequestInit, on = app) {
  const res = await on.request(url, init)
  return { res, body: new Uint8Array(await res.arrayBuffer()) }
}

/** The 28 × 28 tile at (`col`, `row`) of a decoded grid or strip at scale 1. */
function tile(image: { pixels: Uint8Array; width: number }, col: number, row: number): Uint8Array {
  const out = new Uint8Array(28 * 28)
  for (let y = 0; y < 28; y++) {
    const at = (row * 28 + y) * image.width + col * 28
    out.set(image.pixels.subarray(at, at + 28), y * 28)
  }
  return out
}

describe('the conditional fixture', () => {
  it('should rebuild bit for bit from its recipe and report 10 classes in /model', async () => {
    const rebuilt = buildConditionalFixtureModel()
    expect(rebuilt.manifest).toEqual(manifest)
    expect(rebuilt.payload).toEqual(new Uint8Array(weights))
    expect(Object.keys(CGAN_GOLDEN)).toEqual([...CGAN_GOLDEN_URLS])
    expect(generator.classes).toBe(10)
    const model = (await (await app.request('/model')).json()) as Record<string, unknown>
    expect(model).toMatchObject({ conditional: true, classes: 10, sha256: SHA })
  })

  const engines = { wasm: { kernel }, js: {} }
  const cases = CGAN_GOLDEN_URLS.flatMap((url) => (['wasm', 'js'] as const).map((e) => [url, e]))
  it.for(cases as [(typeof CGAN_GOLDEN_URLS)[number], 'wasm' | 'js'][])(
    'should serve %s with the pinned sha256 (%s dense layers)',
    async ([url, engine]) => {
      const served = createApp(createModelLoader(manifest, weights, engines[engine]))
      const res = await served.request(url)
      expect(res.status).toBe(200)
      expect(sha256Hex(new Uint8Array(await res.arrayBuffer()))).toBe(CGAN_GOLDEN[url])
    },
  )
})

describe('GET /generate with digit', () => {
  it('should draw the digit from the seed latent, a different image per digit', async () => {
    const seven = await get('/generate?seed=42&digit=7')
    expect(seven.res.status).toBe(200)
    expect(seven.body).toEqual(renderDigitPng(generator, 42, 1, 7))
    const six = await get('/generate?seed=42&digit=6')
    expect(decodePng(six.body).pixels).not.toEqual(decodePng(seven.body).pixels)
    expect(decodePng(six.body).pixels).toEqual(renderDigit(generator, 42, 6))
  })

  it('should let the seed pick the digit (seed mod 10): same bytes and ETag', async () => {
    for (const [seed, digit] of [
      [42, 2],
      [7, 7],
      [4294967295, 5],
    ]) {
      const picked = await get(`/generate?seed=${seed}`)
      const named = await get(`/generate?seed=${seed}&digit=${digit}`)
      expect(picked.body).toEqual(named.body)
      const etag = `"${SHA}:r2:generate:seed=${seed}:digit=${digit}:scale=1"`
      expect(picked.res.headers.get('ETag')).toBe(etag)
      expect(named.res.headers.get('ETag')).toBe(etag)
    }
    const other = await get('/generate?seed=42&digit=3')
    expect(other.body).not.toEqual((await get('/generate?seed=42')).body)
  })

  it('should name the digit in the ETag, cache it forever and answer 304 and HEAD', async () => {
    const { res, body } = await get('/generate?seed=42&digit=7&scale=2')
    const etag = `"${SHA}:r2:generate:seed=42:digit=7:scale=2"`
    expect(res.headers.get('ETag')).toBe(etag)
    expect(res.headers.get('Cache-Control')).toBe(IMMUTABLE)
    const eight = await get('/generate?seed=42&digit=8&scale=2')
    expect(eight.res.headers.get('ETag')).not.toBe(etag)
    // leading zeros are the same number, as for every integer parameter
    expect((await get('/generate?digit=07&seed=42&scale=2')).res.headers.get('ETag')).toBe(etag)
    const again = await get('/generate?seed=42&digit=7&scale=2', {
      headers: { 'If-None-Match': etag },
    })
    expect(again.res.status).toBe(304)
    expect(again.body).toHaveLength(0)
    const head = await get('/generate?seed=42&digit=7&scale=2', { method: 'HEAD' })
    expect(head.res.status).toBe(200)
    expect(head.body).toHaveLength(0)
    expect(head.res.headers.get('Content-Length')).toBe(String(body.byteLength))
  })

  it('should draw a random seed with the named digit, or the digit it picks', async () => {
    for (const [url, digit] of [
      ['/generate?digit=9', () => 9],
      ['/generate', (seed: number) => seed % 10],
    ] as const) {
      const { res, body } = await get(url)
      expect(res.headers.get('Cache-Control')).toBe('no-store')
      const seed = Number(res.headers.get('X-Seed'))
      expect(body).toEqual(renderDigitPng(generator, seed, 1, digit(seed)))
    }
  })
})

describe('GET /grid with digit', () => {
  it('should draw every tile as the digit, for consecutive seeds', async () => {
    const { res, body } = await get('/grid?seed=1&digit=3&n=16')
    expect(res.headers.get('ETag')).toBe(`"${SHA}:r2:grid:seed=1:n=16:digit=3:scale=1"`)
    const grid = decodePng(body)
    expect(grid).toMatchObject({ width: 4 * 28, height: 4 * 28 })
    for (let i = 0; i < 16; i++) {
      expect(tile(grid, i % 4, Math.floor(i / 4)), `tile ${i}`).toEqual(
        renderDigit(generator, 1 + i, 3),
      )
    }
  })

  it('should cycle through the digits without one: each tile its own seed mod 10', async () => {
    const { res, body } = await get('/grid?seed=8&n=12')
    expect(res.headers.get('ETag')).toBe(`"${SHA}:r2:grid:seed=8:n=12:scale=1"`)
    const grid = decodePng(body)
    for (let i = 0; i < 12; i++) {
      const seed = 8 + i
      expect(tile(grid, i % 4, Math.floor(i / 4)), `tile ${i}`).toEqual(
        renderDigit(generator, seed, seed % 10),
      )
    }
  })

  it('should lay out digit=all as rows of 0–9, one row per seed, 10 tiles by default', async () => {
    const one = await get('/grid?seed=5&digit=all')
    expect(one.res.headers.get('ETag')).toBe(`"${SHA}:r2:grid:seed=5:n=10:digit=all:scale=1"`)
    expect(decodePng(one.body)).toMatchObject({ width: 10 * 28, height: 28 })
    const { res, body } = await get('/grid?seed=4294967295&n=30&digit=all&scale=1')
    expect(res.status).toBe(200)
    const grid = decodePng(body)
    expect(grid).toMatchObject({ width: 10 * 28, height: 3 * 28 })
    for (const [row, seed] of [4294967295, 0, 1].entries()) {
      for (let d = 0; d < 10; d++) {
        const want = renderDigit(generator, seed, d)
        expect(tile(grid, d, row), `row ${row} digit ${d}`).toEqual(want)
      }
    }
    // The first row is the `digit=all` grid of that seed alone.
    const alone = decodePng((await get('/grid?seed=4294967295&digit=all')).body)
    expect(tile(grid, 4, 0)).toEqual(tile(alone, 4, 0))
  })

  it('should refuse digit=all with n not a multiple of 10', async () => {
    for (const n of [16, 5, 64]) {
      const res = await app.request(`/grid?seed=1&n=${n}&digit=all`)
      expect(res.status).toBe(400)
      const { error } = (await res.json()) as { error: string }
      expect(error).toContain('multiple of 10')
      expect(error).toContain(`but got ${n}`)
    }
  })
})

describe('GET /interpolate with digit', () => {
  it('should hold the digit along the walk, ending in /generate of both seeds', async () => {
    const { res, body } = await get('/interpolate?from=42&to=7&steps=5&digit=5')
    expect(res.headers.get('ETag')).toBe(
      `"${SHA}:r2:interpolate:from=42:to=7:digit=5:steps=5:scale=1:format=png"`,
    )
    const strip = decodePng(body)
    const first = decodePng((await get('/generate?seed=42&digit=5')).body).pixels
    const last = decodePng((await get('/generate?seed=7&digit=5')).body).pixels
    expect(tile(strip, 0, 0)).toEqual(first)
    expect(tile(strip, 4, 0)).toEqual(last)
    const tiles = renderInterpolation(generator, 42, 7, 5, 5)
    for (let i = 0; i < 5; i++) expect(tile(strip, i, 0)).toEqual(tiles[i])
  })

  it("should default to the start seed's digit, with the same bytes and ETag", async () => {
    const picked = await get('/interpolate?from=42&to=7&steps=4')
    const named = await get('/interpolate?from=42&to=7&steps=4&digit=2')
    expect(picked.body).toEqual(named.body)
    expect(picked.res.headers.get('ETag')).toBe(named.res.headers.get('ETag'))
    expect(picked.res.headers.get('ETag')).toContain(':digit=2:')
    const other = await get('/interpolate?from=42&to=7&steps=4&digit=3')
    expect(other.res.headers.get('ETag')).not.toBe(named.res.headers.get('ETag'))
    expect(other.body).not.toEqual(named.body)
    // the far end keeps the start's digit 2, not seed 7's own 7
    const last = tile(decodePng(picked.body), 3, 0)
    expect(last).toEqual(renderDigit(generator, 7, 2))
    expect(last).not.toEqual(renderDigit(generator, 7, 7))
  })

  it('should animate with the digit too', async () => {
    const { body } = await get('/interpolate?from=3&to=9&steps=3&digit=8&format=apng')
    const apng = decodeApng(body)
    expect(apng.frames).toHaveLength(3)
    expect(apng.frames[2].pixels).toEqual(renderDigit(generator, 9, 8))
  })
})

describe('digit errors', () => {
  it.each([
    ['/generate?seed=1&digit=10', 'digit', '0..9'],
    ['/generate?seed=1&digit=-1', 'digit', '0..9'],
    ['/generate?seed=1&digit=1.0', 'digit', '0..9'],
    ['/generate?seed=1&digit=', 'digit', '0..9'],
    ['/generate?seed=1&digit', 'digit', '0..9'],
    ['/generate?seed=1&digit=%2B1', 'digit', '0..9'],
    ['/generate?seed=1&digit=seven', 'digit', '0..9'],
    ['/generate?seed=1&digit=all', 'digit', '0..9, but got "all"'],
    ['/generate?seed=1&digit=1&digit=1', 'digit', 'at most once'],
    ['/grid?seed=1&digit=10', 'digit', '0..9 or all'],
    ['/grid?seed=1&digit=ALL', 'digit', '0..9 or all'],
    ['/grid?seed=1&digit=3&digit=all', 'digit', 'at most once'],
    ['/interpolate?from=1&to=2&digit=12', 'digit', '0..9'],
    ['/interpolate?from=1&to=2&digit=all', 'digit', '0..9'],
    ['/?seed=1&digit=10', 'digit', '0..9'],
  ])('should reject %s with a 400 JSON error naming %s', async (url, name, range) => {
    const res = await app.request(url)
    await expectBadRequest(res, name, range)
  })

  it.each([
    '/generate?seed=1&digit=7',
    '/generate?digit=0',
    '/grid?seed=1&digit=3',
    '/grid?seed=1&n=10&digit=all',
    '/interpolate?from=1&to=2&digit=3',
    '/?seed=1&digit=3',
  ])('should answer %s on an unconditional model with a 400 saying so', async (url) => {
    const res = await plain.request(url)
    expect(res.status).toBe(400)
    expect(res.headers.get('Content-Type')).toMatch(/^application\/json/)
    const { error } = (await res.json()) as { error: string }
    expect(error).toContain('digit')
    expect(error).toContain('unconditional')
  })
})
