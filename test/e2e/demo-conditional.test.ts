/**
 * @module test/e2e/demo-conditional
 * The demo page on a conditional model in a real browser (Chromium from npm, or the user's own via
 * DIGIT_GAN_CHROMIUM: the one set-up of test/support/browser.ts), against `wrangler dev` serving
 * the conditional fixture (test/edge/cgan-worker.ts): the digit selector appears, and the digits
 * the page draws equal, pixel for pixel, the worker's PNGs with and without a chosen digit —
 * `/generate`, `/grid?n=64` and the walk of `/interpolate`. Without a browser these tests skip and
 * say why; with DIGIT_GAN_STRICT=1 (CI) they fail instead.
 */
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDevServer } from '../../tools/dev-server'
import type { DevServer } from '../../tools/dev-server'
import { decodePng } from '../edge/png-decode'
import { openPage, startBrowser } from '../support/browser'

const start = await startBrowser('conditional demo page tests')

let server: DevServer
let page: Page
let pageErrors: string[] = []

/** The canvas as grey pixels (R of each opaque grey RGBA pixel). */
async function canvasGray(): Promise<Uint8Array> {
  const rgba = await page.evaluate(() => {
    const canvas = document.querySelector<HTMLCanvasElement>('#view')!
    const image = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height)
    return Array.from(image.data)
  })
  return Uint8Array.from({ length: rgba.length / 4 }, (_, i) => rgba[4 * i])
}

async function pngPixels(path: string): Promise<Uint8Array> {
  const res = await server.fetch(path)
  expect(res.status, path).toBe(200)
  return decodePng(new Uint8Array(await res.arrayBuffer())).pixels
}

/** Waits until the canvas shows exactly the state with this canonical query. */
async function rendered(query: string): Promise<void> {
  await page.waitForSelector(`canvas#view[data-rendered="${query}"]`, { timeout: 15_000 })
}

afterAll(async () => {
  if ('browser' in start) await start.browser.close()
  await server?.stop()
})

describe.skipIf(start.skipReason !== '')('the demo page on a conditional model in Chromium', () => {
  beforeAll(async () => {
    if (!('browser' in start)) return
    server = await startDevServer({ entry: 'test/edge/cgan-worker.ts' })
    const opened = await openPage(start.browser)
    page = opened.page
    pageErrors = opened.errors
  })

  it("should draw the seed's own digit, then the digit chosen in the selector", async () => {
    const model = (await (await server.fetch('/model')).json()) as { classes: number }
    expect(model.classes).toBe(10)
    await page.goto(`${server.url}/?seed=42`)
    await rendered('seed=42')
    expect(await page.isVisible('#digit')).toBe(true)
    expect(await canvasGray()).toEqual(await pngPixels('/generate?seed=42'))
    expect(await page.getAttribute('#view', 'aria-label')).toBe('Seed 42, digit 2')
    await page.selectOption('#digit', '7')
    await rendered('seed=42&digit=7')
    expect(await canvasGray()).toEqual(await pngPixels('/generate?seed=42&digit=7'))
    expect(page.url()).toBe(`${server.url}/?seed=42&digit=7`)
    const link = await page.getAttribute('#api-generate', 'href')
    expect(link).toBe('/generate?seed=42&digit=7&scale=8')
  })

  it('should draw the grid and the walk with the chosen digit, as the worker does', async () => {
    await page.check('input[name="view"][value="grid"]')
    await rendered('seed=42&digit=7&view=grid')
    expect(await canvasGray()).toEqual(await pngPixels('/grid?seed=42&n=64&digit=7'))
    await page.check('input[name="view"][value="digit"]')
    await page.fill('#to', '9')
    await page.focus('#t')
    await page.keyboard.press('End')
    await rendered('seed=42&digit=7&to=9&t=100')
    expect(await canvasGray()).toEqual(await pngPixels('/generate?seed=9&digit=7'))
    // back to "any": the walk keeps the start seed's digit 2, as /interpolate does
    await page.selectOption('#digit', '')
    await rendered('seed=42&to=9&t=100')
    expect(await canvasGray()).toEqual(await pngPixels('/generate?seed=9&digit=2'))
    const strip = decodePng(
      new Uint8Array(await (await server.fetch('/interpolate?from=42&to=9&steps=2')).arrayBuffer()),
    )
    const last = new Uint8Array(28 * 28)
    for (let y = 0; y < 28; y++) last.set(strip.pixels.subarray(y * 56 + 28, y * 56 + 56), y * 28)
    expect(await canvasGray()).toEqual(last)
    expect(pageErrors).toEqual([])
  })
})
