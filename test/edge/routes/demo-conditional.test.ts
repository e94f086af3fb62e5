/**
 * @module test/edge/routes/demo-conditional
 * The demo page on a conditional model (test/fixtures/tiny-cgan/) inside workerd: the digit
 * selector exists only for such a model, `digit` travels through the page state, its URL and the
 * API links; and the page's engine (web/engine, the code the browser runs) draws exactly the
 * worker's `/generate`, `/grid` and `/interpolate` pixels, with and without a chosen digit.
 */
import { describe, expect, it } from 'vitest'
import { createApp } from '../../../edge/app'
import type { DemoConfig } from '../../../shared/render/demo-state'
import { createModelLoader } from '../../../edge/model'
import { createGenerator } from '../../../shared/inference/forward'
import { decodeWeights } from '../../../shared/model/weights'
import { createEngine } from '../../../web/engine'
import { stateQuery } from '../../../shared/render/demo-state'
import type { DemoState } from '../../../shared/render/demo-state'
import manifest from '../../fixtures/tiny-cgan/manifest.json'
import weights from '../../fixtures/tiny-cgan/weights.bin'
import plainManifest from '../../fixtures/tiny-model/manifest.json'
import plainWeights from '../../fixtures/tiny-model/weights.bin'
import { decodePng } from '../png-decode'

const app = createApp(createModelLoader(manifest, weights))
const plain = createApp(createModelLoader(plainManifest, plainWeights))
const generator = createGenerator(decodeWeights(manifest, new Uint8Array(weights)))

async function page(url: string, on = app) {
  const res = await on.request(url)
  const html = await res.text()
  const match = /<script type="application\/json" id="demo-config">(.*?)<\/script>/s.exec(html)
  return { res, html, config: JSON.parse(match?.[1] ?? 'null') as DemoConfig }
}

async function pixels(url: string): Promise<Uint8Array> {
  const res = await app.request(url)
  expect(res.status, url).toBe(200)
  return decodePng(new Uint8Array(await res.arrayBuffer())).pixels
}

function state(overrides: Partial<DemoState>): DemoState {
  return { seed: 42, to: 43, t: 0, directions: [0, 0, 0, 0], view: 'digit', ...overrides }
}

describe('GET / on a conditional model', () => {
  it('should offer a labelled digit selector: any, or 0–9', async () => {
    const { res, html, config } = await page('/?seed=5')
    expect(res.status).toBe(200)
    expect(config.state).not.toHaveProperty('digit')
    expect(html).toContain('<label for="digit">')
    expect(html).toMatch(/<select id="digit" name="digit">/)
    expect(html).toMatch(/<option value="" selected>Any \(seed mod 10\)/)
    for (let d = 0; d < 10; d++) expect(html).toContain(`<option value="${d}">${d}</option>`)
    // a script-only control, like the view, the walk and the directions
    expect(html.match(/<fieldset class="js" hidden disabled>/g)).toHaveLength(4)
    expect(html).toContain('<img src="/generate?seed=5&amp;scale=16"')
  })

  it('should carry a chosen digit into the state, the ETag, the images and the links', async () => {
    const { res, html, config } = await page('/?seed=5&digit=3&to=9')
    expect(config.state).toEqual(state({ seed: 5, digit: 3, to: 9 }))
    expect(stateQuery(config.state)).toBe('seed=5&digit=3&to=9')
    expect(res.headers.get('ETag')).toMatch(/:seed=5&digit=3&to=9"$/)
    expect(html).toContain('<option value="3" selected>3</option>')
    expect(html).toContain('<img src="/generate?seed=5&amp;digit=3&amp;scale=16"')
    expect(html).toContain('/interpolate?from=5&amp;to=9&amp;digit=3&amp;steps=16')
    expect(html).toContain('href="/grid?seed=5&amp;n=64&amp;digit=3&amp;scale=2"')
    expect(html).toContain('<figcaption id="caption">Seed 5, digit 3</figcaption>')
  })

  it('should show no digit selector for an unconditional model', async () => {
    const { html } = await page('/?seed=5', plain)
    expect(html).not.toContain('id="digit"')
    expect(html.match(/<fieldset class="js" hidden disabled>/g)).toHaveLength(3)
  })
})

describe('the page engine on a conditional model', () => {
  const engine = createEngine(generator, () => 0)

  it('should draw /generate: the seed picks the digit, or the chosen one', async () => {
    expect(engine.render(state({ seed: 42 })).gray).toEqual(await pixels('/generate?seed=42'))
    expect(engine.render(state({ seed: 42, digit: 7 })).gray).toEqual(
      await pixels('/generate?seed=42&digit=7'),
    )
    expect(engine.render(state({ seed: 42, digit: 7 })).gray).not.toEqual(
      await pixels('/generate?seed=42'),
    )
  })

  it('should draw the 8 × 8 grid as /grid?n=64, cycling digits or all one digit', async () => {
    const cycling = engine.render(state({ seed: 9, view: 'grid' }))
    expect(cycling.gray).toEqual(await pixels('/grid?seed=9&n=64'))
    const fours = engine.render(state({ seed: 9, digit: 4, view: 'grid' }))
    expect(fours.gray).toEqual(await pixels('/grid?seed=9&n=64&digit=4'))
  })

  it('should hold the digit along the walk, as /interpolate does', async () => {
    const middle = (strip: Uint8Array) => {
      const out = new Uint8Array(28 * 28)
      for (let y = 0; y < 28; y++) out.set(strip.subarray(y * 84 + 28, y * 84 + 56), y * 28)
      return out
    }
    const picked = engine.render(state({ seed: 42, to: 7, t: 50 }))
    expect(picked.gray).toEqual(middle(await pixels('/interpolate?from=42&to=7&steps=3')))
    const chosen = engine.render(state({ seed: 42, to: 7, t: 50, digit: 6 }))
    expect(chosen.gray).toEqual(middle(await pixels('/interpolate?from=42&to=7&steps=3&digit=6')))
    // at the far end: seed 7's latent, still the start seed's digit 2
    const end = engine.render(state({ seed: 42, to: 7, t: 100 }))
    expect(end.gray).toEqual(await pixels('/generate?seed=7&digit=2'))
  })
})
