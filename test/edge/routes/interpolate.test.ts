/**
 * @module test/edge/routes/interpolate
 * `GET /interpolate` inside workerd on the committed fixture model: the strip's end tiles are the
 * `/generate` digits of `from` and `to`, the APNG decodes to the same digits with the declared
 * frame count and sequence numbers, caching and validation behave as on `/generate`.
 */
import { describe, expect, it } from 'vitest'
import { createApp } from '../../../edge/app'
import { createModelLoader } from '../../../edge/model'
import { IMMUTABLE } from '../../../edge/png-response'
import { createGenerator } from '../../../shared/inference/forward'
import { FRAME_MS, HOLD_MS, renderInterpolation } from '../../../shared/render/interpolate'
import { decodeWeights } from '../../../shared/model/weights'
import manifest from '../../fixtures/tiny-model/manifest.json'
import weights from '../../fixtures/tiny-model/weights.bin'
import { decodeApng, decodePng } from '../png-decode'
import { sha256 } from '../png-info'
import { expectBadRequest } from '../bad-request'

const app = createApp(createModelLoader(manifest, weights))
const decoded = decodeWeights(manifest, new Uint8Array(weights))
const generator = createGenerator(decoded)
const SHA = decoded.manifest.payload.sha256

async function get(url: string, init?: RequestInit): Promise<{ res: Response; body: Uint8Array }> {
  const res = await app.request(url, init)
  return { res, body: new Uint8Array(await res.arrayBuffer()) }
}

/** Tile `i` (28 × 28) of a strip, at scale 1. */
function tile(pixels: Uint8Array, width: number, i: number): Uint8Array {
  const out = new Uint8Array(28 * 28)
  for (let y = 0; y < 28; y++)
    out.set(pixels.subarray(y * width + i * 28, y * width + i * 28 + 28), y * 28)
  return out
}

describe('GET /interpolate', () => {
  it('should start and end the strip with the /generate digits of from and to', async () => {
    const { res, body } = await get('/interpolate?from=42&to=4294967295&steps=8')
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toBe('image/png')
    const strip = decodePng(body)
    expect(strip).toMatchObject({ width: 8 * 28, height: 28, channels: 1 })
    const first = decodePng((await get('/generate?seed=42')).body).pixels
    const last = decodePng((await get('/generate?seed=4294967295')).body).pixels
    expect(tile(strip.pixels, strip.width, 0)).toEqual(first)
    expect(tile(strip.pixels, strip.width, 7)).toEqual(last)
    const tiles = renderInterpolation(generator, 42, 4294967295, 8)
    for (let i = 0; i < 8; i++) expect(tile(strip.pixels, strip.width, i)).toEqual(tiles[i])
  })

  // Pinned from Node (renderInterpolationPng(generator, 42, 7, 5, 2) on the fixture model): a
  // pass here shows workerd computes the same slerp, digits and PNG bytes to the bit.
  it('should serve the pinned bytes computed in Node (workerd and Node agree)', async () => {
    const { body } = await get('/interpolate?from=42&to=7&steps=5&scale=2')
    const expected = '4e91939e71112caa6561ac07a1cd7d264d56b084c382642fa765a0d8d32e2696'
    expect(await sha256(body.slice().buffer)).toBe(expected)
  })

  it('should animate the same digits as a looping APNG with the right frame count', async () => {
    const { res, body } = await get('/interpolate?from=3&to=9&steps=6&format=apng&scale=2')
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toBe('image/apng')
    const apng = decodeApng(body)
    expect(apng).toMatchObject({ width: 56, height: 56, numFrames: 6, numPlays: 0 })
    expect(apng.frames).toHaveLength(6)
    // fcTL 0, (IDAT), fcTL 1, fdAT 2, …: 2·frames − 1 numbers, consecutive from 0
    expect(apng.sequence).toEqual(Array.from({ length: 11 }, (_, i) => i))
    expect(apng.chunkTypes.filter((t) => t === 'fdAT')).toHaveLength(5)
    expect(apng.frames.map((f) => f.delayMs)).toEqual([HOLD_MS, 100, 100, 100, 100, HOLD_MS])
    expect(FRAME_MS).toBe(100)
    const big = decodePng((await get('/generate?seed=9&scale=2')).body).pixels
    expect(apng.frames[5].pixels).toEqual(big)
    expect(decodePng(body).pixels).toEqual(
      decodePng((await get('/generate?seed=3&scale=2')).body).pixels,
    )
  })

  it('should cache like a seeded /generate: immutable, normalized ETag, 304, HEAD', async () => {
    const { res } = await get('/interpolate?to=2&from=01&steps=4')
    const etag = `"${SHA}:r2:interpolate:from=1:to=2:steps=4:scale=1:format=png"`
    expect(res.headers.get('ETag')).toBe(etag)
    expect(res.headers.get('Cache-Control')).toBe(IMMUTABLE)
    expect(res.headers.get('X-Model')).toBe(SHA)
    expect(res.headers.get('X-Seed')).toBeNull()
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe('*')
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff')
    const again = await get('/interpolate?from=1&to=2&steps=4', {
      headers: { 'If-None-Match': etag },
    })
    expect(again.res.status).toBe(304)
    expect(again.body).toHaveLength(0)
    expect(again.res.headers.get('ETag')).toBe(etag)
    const head = await get('/interpolate?from=1&to=2&steps=4', { method: 'HEAD' })
    expect(head.res.status).toBe(200)
    expect(head.body).toHaveLength(0)
    expect(head.res.headers.get('Content-Length')).toBe(res.headers.get('Content-Length'))
    const apng = await get('/interpolate?from=1&to=2&steps=4&format=apng')
    expect(apng.res.headers.get('ETag')).not.toBe(etag)
  })

  it('should default to 8 steps at scale 1', async () => {
    const { body } = await get('/interpolate?from=1&to=2')
    expect(decodePng(body)).toMatchObject({ width: 224, height: 28 })
  })

  it.each([
    ['/interpolate', 'from', '0..4294967295, but got none'],
    ['/interpolate?from=1', 'to', '0..4294967295, but got none'],
    ['/interpolate?from=-1&to=2', 'from', '0..4294967295'],
    ['/interpolate?from=1&to=4294967296', 'to', '0..4294967295'],
    ['/interpolate?from=1&to=1e3', 'to', '0..4294967295'],
    ['/interpolate?from=1&to=2&steps=1', 'steps', '2..32'],
    ['/interpolate?from=1&to=2&steps=33', 'steps', '2..32'],
    ['/interpolate?from=1&to=2&steps=', 'steps', '2..32'],
    ['/interpolate?from=1&to=2&scale=17', 'scale', '1..16'],
    ['/interpolate?from=1&to=2&format=gif', 'format', 'one of png, apng'],
    ['/interpolate?from=1&to=2&format=APNG', 'format', 'one of png, apng'],
    ['/interpolate?from=1&to=2&from=3', 'from', 'at most once'],
    ['/interpolate?from=1&to=2&seed=3', 'seed', 'only from, to, digit, steps, scale, format'],
  ])('should reject %s with a 400 JSON error naming %s', async (url, name, range) => {
    const res = await app.request(url)
    await expectBadRequest(res, name, range)
  })
})
