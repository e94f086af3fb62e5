/**
 * @module test/support/browser
 * The browser tests' one browser set-up: chrome-headless-shell from npm (`@sparticuz/chromium`,
 * unpacked by test/support/chromium-pack.ts with its NSS libraries, fonts and SwiftShader), or the
 * user's own Chromium named by DIGIT_GAN_CHROMIUM, driven by playwright-core. WebGPU is on, on
 * SwiftShader's software Vulkan, so a machine without a GPU gives pages an adapter; hence no
 * `--disable-gpu`. Where no browser starts, the tests skip and say why — or fail in strict mode
 * (test/support/strict.ts).
 */
import { existsSync } from 'node:fs'
import { chromium } from 'playwright-core'
import type { Browser, LaunchOptions, Page } from 'playwright-core'
import { browserEnv, unpackChromium } from './chromium-pack'
import { unavailable } from './strict'

/** Names the user's own Chromium (or Chrome) binary, used instead of the npm one. */
export const BROWSER_ENV = 'DIGIT_GAN_CHROMIUM'

/** Headless, quiet (no network of its own) and root-safe, as in CI. */
const HEADLESS_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]
/** WebGPU on SwiftShader's Vulkan, without a window surface (headless). */
const WEBGPU_ARGS = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--disable-vulkan-surface',
]

/** A started browser, or why there is none. */
export type BrowserStart = { browser: Browser; skipReason: '' } | { skipReason: string }

/** A page and the errors it logged or threw (a CSP violation shows up there too). */
export interface WatchedPage {
  page: Page
  errors: string[]
}

/**
 * Launches the browser; `what` names the caller's tests in the skip message.
 * @throws Error in strict mode when no browser starts.
 * @example
 * const start = await startBrowser('demo page tests')
 * describe.skipIf(start.skipReason !== '')('the demo page', () => { … })
 */
export async function startBrowser(what: string): Promise<BrowserStart> {
  try {
    return { browser: await chromium.launch(await launchOptions()), skipReason: '' }
  } catch (err) {
    return { skipReason: unavailable(what, err instanceof Error ? err.message : String(err)) }
  }
}

/**
 * Opens a page with the viewport the tests and screenshots use, collecting its errors.
 * @example const { page, errors } = await openPage(browser)
 */
export async function openPage(browser: Browser): Promise<WatchedPage> {
  const page = await browser.newPage({ viewport: { width: 1000, height: 760 } })
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(err.message))
  page.on('console', (msg) => msg.type() === 'error' && errors.push(msg.text()))
  return { page, errors }
}

async function launchOptions(): Promise<LaunchOptions> {
  const args = [...HEADLESS_ARGS, ...WEBGPU_ARGS]
  const own = process.env[BROWSER_ENV]
  if (own) {
    if (!existsSync(own)) throw new Error(`Expected a browser at ${BROWSER_ENV}=${own}.`)
    return { executablePath: own, headless: true, args }
  }
  const pack = await unpackChromium()
  return { executablePath: pack.executable, headless: true, args, env: browserEnv(pack) }
}
