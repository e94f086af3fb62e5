/**
 * @module test/edge/routes/demo
 * The demo page's routes inside workerd: `/` renders the validated state into the page and its
 * config block, the script and the model payload are served under content-hashed, immutable URLs,
 * and the query of `/` is as strict as every other route's.
 */
import { describe, expect, it } from 'vitest'
import { createApp } from '../../../edge/app'
import { PAGE_PARAMS, SCRIPT_PATH } from '../../../edge/routes/demo'
import type { DemoConfig } from '../../../shared/render/demo-state'
import { createModelLoader } from '../../../edge/model'
import { IMMUTABLE } from '../../../edge/png-response'
import demoScript from '../../../dist-web/demo.js'
import { DIRECTION_COUNT, directionParam, formatDirection, stateQuery } from '../../../shared/render/demo-state'
import type { DemoState } from '../../../shared/render/demo-state'
import manifest from '../../fixtures/tiny-model/manifest.json'
import weights from '../../fixtures/tiny-model/weights.bin'
import { expectBadRequest } from '../bad-request'

const app = createApp(createModelLoader(manifest, weights))
const SHA = manifest.payload.sha256

async function page(url: string): Promise<{ res: Response; html: string; config: DemoConfig }> {
  const res = await app.request(url)
  const html = await res.text()
  const match = /<script type="application\/json" id="demo-config">(.*?)<\/script>/s.exec(html)
  return { res, html, config: JSON.parse(match?.[1] ?? 'null') as DemoConfig }
}

describe('GET /', () => {
  it('should render the page for a seed with the script, payload URL and manifest', async () => {
    const { res, html, config } = await page('/?seed=42')
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toBe('text/html; charset=utf-8')
    expect(res.headers.get('Cache-Control')).toBe('no-cache')
    expect(res.headers.get('Content-Security-Policy')).toContain("script-src 'self'")
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff')
    expect(html).toContain(`<script type="module" src="${SCRIPT_PATH}"></script>`)
    expect(config.state).toEqual({
      seed: 42,
      to: 43,
      t: 0,
      directions: [0, 0, 0, 0],
      view: 'digit',
    })
    expect(config.modelUrl).toBe(`/model/${SHA}.bin`)
    expect(config.manifest).toEqual(manifest)
  })

  it('should work without JavaScript: a seed form and <noscript> images from the API', async () => {
    const { html } = await page('/?seed=7&to=9')
    expect(html).toMatch(/<form id="controls" action="\/" method="get">/)
    expect(html).toMatch(/<input id="seed" name="seed" type="number"[^>]*value="7">/)
    expect(html).toContain('<img src="/generate?seed=7&amp;scale=16"')
    expect(html).toContain('/interpolate?from=7&amp;to=9&amp;steps=16&amp;scale=4&amp;format=apng')
    // the script-only controls are hidden and disabled, so the form submits only the seed
    expect(html.match(/<fieldset class="js" hidden disabled>/g)).toHaveLength(3)
  })

  it('should label every control and announce the timing politely', async () => {
    const { html } = await page('/?seed=1')
    for (const id of ['seed', 'to', 't', ...Array.from({ length: 4 }, (_, k) => `d${k + 1}`)]) {
      expect(html).toContain(`<label for="${id}">`)
      expect(html).toContain(`id="${id}"`)
    }
    expect(html).toMatch(/<p id="timing" role="status" aria-live="polite">/)
    expect(html).toMatch(/<canvas id="view"[^>]*role="img"[^>]*aria-label=/)
    expect(html).toContain(':focus-visible')
  })

  it('should take the whole state from the query', async () => {
    const { config, html } = await page('/?seed=5&to=9&t=50&d1=-15&d4=50&view=grid')
    const state: DemoState = { seed: 5, to: 9, t: 50, directions: [-15, 0, 0, 50], view: 'grid' }
    expect(config.state).toEqual(state)
    expect(html).toContain('value="grid" checked')
    expect(html).toContain(`<output id="d1-value" for="d1">${formatDirection(-15)}</output>`)
    expect(stateQuery(state)).toBe('seed=5&to=9&t=50&d1=-15&d4=50&view=grid')
    expect((await page(`/?${stateQuery(state)}`)).config.state).toEqual(state)
  })

  it('should draw a random seed without seed and not cache that page', async () => {
    const a = await page('/')
    const b = await page('/')
    expect(a.res.headers.get('Cache-Control')).toBe('no-store')
    expect(a.config.state.to).toBe((a.config.state.seed + 1) % 2 ** 32)
    expect(a.config.state.seed).not.toBe(b.config.state.seed) // 2^-32 chance of a false alarm
  })

  it('should answer a matching If-None-Match with 304', async () => {
    const first = await app.request('/?seed=3')
    const etag = first.headers.get('ETag')!
    expect(etag).toMatch(/^"[0-9a-f]{64}:page:[0-9a-f]{16}:seed=3"$/)
    const again = await app.request('/?seed=3', { headers: { 'If-None-Match': etag } })
    expect(again.status).toBe(304)
    expect(await again.text()).toBe('')
  })

  it('should keep JSON from closing its <script> element', async () => {
    const hostile = { ...manifest, training: { note: '</script><script>alert(1)</script>' } }
    const res = await createApp(createModelLoader(hostile, weights)).request('/?seed=1')
    const html = await res.text()
    expect(html).not.toContain('<script>alert(1)')
    expect(html).toContain('\\u003c/script\\u003e')
  })

  it('should define one query parameter per direction slider', () => {
    const names = Array.from({ length: DIRECTION_COUNT }, (_, k) => directionParam(k))
    expect(Object.keys(PAGE_PARAMS)).toEqual(['seed', 'digit', 'to', 't', ...names, 'view'])
  })

  it.each([
    ['/?seed=x', 'seed', '0..4294967295'],
    ['/?seed=1&to=-1', 'to', '0..4294967295'],
    ['/?t=101', 't', '0..100'],
    ['/?t=-0', 't', '0..100'],
    ['/?d1=51', 'd1', '-50..50'],
    ['/?d2=--1', 'd2', '-50..50'],
    ['/?d3=+1', 'd3', '-50..50'],
    ['/?d5=1', 'd5', 'only seed, digit, to, t, d1, d2, d3, d4, view'],
    ['/?view=list', 'view', 'one of digit, grid'],
    ['/?seed=1&seed=2', 'seed', 'at most once'],
  ])('should reject %s with a 400 JSON error naming %s', async (url, name, range) => {
    const res = await app.request(url)
    await expectBadRequest(res, name, range)
  })

  it('should accept negative direction offsets and −0 as 0', async () => {
    const { config } = await page('/?seed=1&d2=-50&d3=-0')
    expect(config.state.directions).toEqual([0, -50, 0, 0])
    expect(Object.is(config.state.directions[2], -0)).toBe(false)
  })
})

describe('the script and the payload', () => {
  it('should serve the bundle under its hash, immutable', async () => {
    expect(SCRIPT_PATH).toMatch(/^\/demo\.[0-9a-f]{16}\.js$/)
    const res = await app.request(SCRIPT_PATH)
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toBe('text/javascript; charset=utf-8')
    expect(res.headers.get('Cache-Control')).toBe(IMMUTABLE)
    expect(await res.text()).toBe(demoScript)
    const etag = res.headers.get('ETag')!
    const again = await app.request(SCRIPT_PATH, { headers: { 'If-None-Match': etag } })
    expect(again.status).toBe(304)
    expect((await app.request('/demo.0000000000000000.js')).status).toBe(404)
    expect((await app.request(`${SCRIPT_PATH}?v=1`)).status).toBe(400)
  })

  it('should serve the model payload under its sha256, immutable, and nothing else', async () => {
    const res = await app.request(`/model/${SHA}.bin`)
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toBe('application/octet-stream')
    expect(res.headers.get('Cache-Control')).toBe(IMMUTABLE)
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(new Uint8Array(weights))
    const head = await app.request(`/model/${SHA}.bin`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    for (const url of [`/model/${'0'.repeat(64)}.bin`, `/model/${SHA}`, `/model/${SHA}.json`]) {
      const other = await app.request(url)
      expect(other.status, url).toBe(404)
      expect(other.headers.get('Content-Type')).toMatch(/^application\/json/)
    }
    expect((await app.request(`/model/${SHA}.bin?x=1`)).status).toBe(400)
  })
})
