/**
 * @module test/edge/routes/train
 * The training page inside workerd: `/train` names the built, content-hashed assets and is served
 * cross-origin isolated under a strict CSP; the assets themselves (scripts, the CPU step's
 * WebAssembly, the compressed MNIST files) come from the static assets of wrangler.toml's
 * `[assets]`, with the immutable caching and isolation headers of dist-train/_headers, and the
 * data files match the sha256 the page checks.
 */
import { env, exports } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import built from '../../../dist-web/train-assets.json'
import { createApp } from '../../../edge/app'
import { createModelLoader } from '../../../edge/model'
import { IMMUTABLE } from '../../../edge/png-response'
import { sha256Hex } from '../../../shared/codec/sha256'
import manifest from '../../fixtures/tiny-model/manifest.json'
import weights from '../../fixtures/tiny-model/weights.bin'
import { expectBadRequest } from '../bad-request'

// The worker passes these through untyped (edge/train-page.ts); their shape is the page's
// (web/train/protocol.ts `TrainAssets`), which edge/ may not import.
interface DataAsset {
  url: string
  bytes: number
  sha256: string
}
const assets = built.assets as { stepWasm: string; helper: string; images: DataAsset; labels: DataAsset }

const app = createApp(createModelLoader(manifest, weights))

async function page(url = '/train') {
  const res = await app.request(url)
  const html = await res.text()
  const match = /<script type="application\/json" id="train-config">(.*?)<\/script>/s.exec(html)
  return { res, html, config: JSON.parse(match?.[1] ?? 'null') as Record<string, unknown> }
}

describe('GET /train', () => {
  it('should name the built page script, worker and assets', async () => {
    const { res, html, config } = await page()
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toBe('text/html; charset=utf-8')
    expect(html).toContain(`<script type="module" src="${built.page}"></script>`)
    expect(config).toEqual({ worker: built.worker, assets: built.assets })
    expect(built.page).toMatch(/^\/train\/page\.[0-9a-f]{16}\.js$/)
  })

  it('should be cross-origin isolated under a CSP that allows workers and WebAssembly only', async () => {
    const { res } = await page()
    expect(res.headers.get('Cross-Origin-Opener-Policy')).toBe('same-origin')
    expect(res.headers.get('Cross-Origin-Embedder-Policy')).toBe('require-corp')
    const csp = res.headers.get('Content-Security-Policy')!
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'")
    expect(csp).toContain("worker-src 'self'")
    expect(csp).toContain("default-src 'none'")
    expect(csp).not.toContain("'unsafe-eval'")
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff')
  })

  it('should be revalidated: no-cache, an ETag and 304 when it matches', async () => {
    const { res } = await page()
    expect(res.headers.get('Cache-Control')).toBe('no-cache')
    const etag = res.headers.get('ETag')!
    const again = await app.request('/train', { headers: { 'If-None-Match': etag } })
    expect(again.status).toBe(304)
  })

  it('should label every input and select', async () => {
    const { html } = await page()
    const ids = [...html.matchAll(/<(?:input|select) id="([^"]+)"/g)].map((m) => m[1])
    expect(ids.length).toBeGreaterThan(10)
    for (const id of ids)
      expect(html, id).toMatch(
        new RegExp(`<label[^>]*for="${id}"|<label[^>]*>\\s*<input[^>]*id="${id}"`),
      )
  })

  it('should answer a query parameter with 400 and another method with 405', async () => {
    await expectBadRequest(await app.request('/train?x=1'), 'x')
    const post = await app.request('/train', { method: 'POST' })
    expect(post.status).toBe(405)
  })
})

describe('the training assets (static assets of wrangler.toml)', () => {
  // Static assets are served before the worker runs; the ASSETS binding reaches them the same way.
  const fetchAsset = async (path: string) => {
    const res = await env.ASSETS!.fetch(`http://worker.test${path}`)
    return res.status === 404 ? exports.default.fetch(`http://worker.test${path}`) : res
  }

  it('should serve the scripts immutable, cross-origin isolated, with a CSP for the workers', async () => {
    for (const path of [built.page, built.worker, assets.helper]) {
      const res = await fetchAsset(path)
      expect(res.status, path).toBe(200)
      expect(res.headers.get('Content-Type'), path).toMatch(/javascript/)
      expect(res.headers.get('Cache-Control'), path).toBe(IMMUTABLE)
      expect(res.headers.get('Cross-Origin-Embedder-Policy'), path).toBe('require-corp')
      expect(res.headers.get('Content-Security-Policy'), path).toContain("'wasm-unsafe-eval'")
      await res.body?.cancel()
    }
  })

  it('should serve the CPU step as application/wasm', async () => {
    const res = await fetchAsset(assets.stepWasm)
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toBe('application/wasm')
    const bytes = new Uint8Array(await res.arrayBuffer())
    expect([...bytes.subarray(0, 4)]).toEqual([0x00, 0x61, 0x73, 0x6d]) // \0asm
  })

  it('should serve the MNIST files with the size and sha256 the page checks', async () => {
    for (const asset of [assets.labels, assets.images]) {
      const res = await fetchAsset(asset.url)
      expect(res.status, asset.url).toBe(200)
      const bytes = new Uint8Array(await res.arrayBuffer())
      expect(bytes.length, asset.url).toBe(asset.bytes)
      expect(sha256Hex(bytes), asset.url).toBe(asset.sha256)
      expect(asset.bytes).toBeLessThan(25 * 1024 * 1024) // Cloudflare's per-asset limit
    }
  })

  it('should leave other paths to the worker', async () => {
    const res = await fetchAsset('/train/nothing.js')
    expect(res.status).toBe(404)
    expect(await res.json()).toHaveProperty('error')
  })
})
