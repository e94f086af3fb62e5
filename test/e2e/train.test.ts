/**
 * @module test/e2e/train
 * The training page in a real browser (Chromium from npm, test/support/browser.ts) against
 * `wrangler dev`, with its static assets:
 * - it trains the MLP on WebAssembly at batch 32, the curves and the sample grid following; a
 *   reload resumes from the step saved in IndexedDB; 200 steps in, "Download model" saves a `.dgm`
 *   whose sha256 is the one the page shows, that validates (decodeModelFile), whose weights moved
 *   from the initial ones and equal, bit for bit, those Node computes with the same engine, seed
 *   and settings (and the same export code), and that the worker serves (`--model FILE`) with the
 *   bytes of `npm run generate`; the page draws the file's digits itself ("Try it");
 * - served without cross-origin isolation it still trains, on one thread, and says why (and on
 *   `auto` passes a software WebGPU adapter over for WebAssembly, saying so);
 * - where the browser has a WebGPU adapter it trains on the fused WebGPU step, and when the GPU
 *   process crashes it stops, saying the device was lost and where Resume continues from.
 * Without a browser the tests skip and say why (fail with DIGIT_GAN_STRICT=1).
 */
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCpuEngine } from '../../engine/cpu/engine'
import { decodeModelFile, splitModelFile } from '../../shared/model/model-file'
import { sha256Hex } from '../../shared/codec/sha256'
import { startDevServer, type DevServer } from '../../tools/dev-server'
import { loadMnist } from '../../trainer/run/data'
import { loadCpuStepModule } from '../../trainer/engines/cpu-threads'
import { exportModelFile, generatorTensors } from '../../web/train/export-model'
import {
  DEFAULT_SETTINGS,
  engineOptions,
  modelSpec,
  type TrainSettings,
} from '../../web/train/settings'
import { openPage, startBrowser } from '../support/browser'
import { unavailable } from '../support/strict'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const RESULTS = join(ROOT, 'test-results')
const SETTINGS: TrainSettings = { ...DEFAULT_SETTINGS, seed: 7, batch: 32, engine: 'wasm' }
const BN_BATCHES = 20

const start = await startBrowser('training page tests')

let server: DevServer
let page: Page
let errors: string[] = []
let tmp: string
/** The downloaded file, once the export test has run. */
let file: Uint8Array | undefined

/** Waits until the page reports `status` at `step`. */
async function reached(status: string, step: number, p = page): Promise<void> {
  await p.waitForFunction(
    ([s, n]) =>
      document.body.dataset.status === s && document.querySelector('#step')?.textContent === n,
    [status, String(step)] as const,
    { timeout: 100_000 },
  )
}

/** Sets a number input and fires its change event, as a person leaving the field does. */
async function setNumber(selector: string, value: number, p = page): Promise<void> {
  await p.fill(selector, String(value))
  await p.dispatchEvent(selector, 'change')
}

/** The page's configuration: engine, seed, batch, stop step. */
async function configure(p: Page, stopAt: number, settings = SETTINGS): Promise<void> {
  await p.selectOption('#engine', settings.engine)
  await p.selectOption('#model', settings.model)
  await p.fill('#seed', String(settings.seed))
  await p.fill('#batch', String(settings.batch))
  await p.fill('#stopAt', String(stopAt))
}

function run(cmd: string, args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: ROOT }, (err, _stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
    )
  })
}

afterAll(async () => {
  if ('browser' in start) await start.browser.close()
  await server?.stop()
  if (tmp) rmSync(tmp, { recursive: true, force: true })
})

describe.skipIf(start.skipReason !== '')('the training page in Chromium', () => {
  const browser = () => (start as { browser: Browser }).browser

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'digit-gan-train-'))
    server = await startDevServer()
    const opened = await openPage(browser())
    page = opened.page
    errors = opened.errors
  })

  it('should train on WebAssembly at batch 32, drawing curves and samples as it goes', async () => {
    await page.goto(`${server.url}/train`)
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true)
    await configure(page, 100)
    await page.click('#start')
    await reached('paused', 100)
    expect(await page.getAttribute('#engine-line', 'data-kind')).toBe('wasm')
    expect(await page.textContent('#engine-line')).toMatch(/fused CPU step .* threads?/)
    expect(await page.getAttribute('#chart', 'data-points')).toBe('10')
    expect(await page.getAttribute('#grid', 'data-step')).toBe('100')
    expect(await page.evaluate(() => Number(document.body.dataset.checkpoint))).toBe(100)
    const grid = await page.evaluate(() => {
      const c = document.querySelector<HTMLCanvasElement>('#grid')!
      const px = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data
      return new Set(px.filter((_, i) => i % 4 === 0)).size
    })
    expect(grid).toBeGreaterThan(50) // digits in shades of grey, not a blank canvas
    expect(await page.textContent('#log')).toContain('started: mlp, seed 7, batch 32')
    expect(errors).toEqual([])
  })

  it('should resume from the saved step after a reload', async () => {
    await page.reload()
    await reached('paused', 100)
    expect(await page.getAttribute('#chart', 'data-points')).toBe('10')
    expect(await page.inputValue('#batch')).toBe('32')
    await setNumber('#stopAt', 200)
    await page.click('#resume')
    await reached('paused', 200)
    expect(await page.getAttribute('#chart', 'data-points')).toBe('20')
    expect(await page.getAttribute('#grid', 'data-step')).toBe('200')
    mkdirSync(RESULTS, { recursive: true })
    await page.screenshot({ path: join(RESULTS, 'train.png'), fullPage: true })
    expect(errors).toEqual([])
  })

  it("should download the model the page names, with Node's weights for the same run", async () => {
    await setNumber('#bnBatches', BN_BATCHES)
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')])
    file = new Uint8Array(readFileSync((await download.path())!))
    expect(download.suggestedFilename()).toBe('digit-gan-mlp-step-200.dgm')
    expect(sha256Hex(file)).toBe(await page.textContent('#sha256'))
    const decoded = decodeModelFile(file) // every check the worker makes
    const training = decoded.manifest.training as Record<string, unknown>
    expect(training.steps).toBe(200)
    expect(training.imagesSeen).toBe(200 * 32)
    expect(training.config).toMatchObject({ batch: 32, seed: 7, model: 'mlp', dtype: 'f32' })

    // Node: the same engine, seed and settings, 200 steps uninterrupted on one thread.
    const mnist = loadMnist('train')
    const model = modelSpec('mlp')
    const engine = await createCpuEngine({
      model,
      options: engineOptions(SETTINGS),
      module: loadCpuStepModule(),
      data: mnist,
    })
    const initial = generatorTensors(model, await engine.exportState())
    await engine.run(200)
    const state = await engine.exportState()
    engine.dispose()
    const node = exportModelFile({
      model,
      state,
      dtype: 'f32',
      bnBatches: BN_BATCHES,
      seed: SETTINGS.seed,
      training: {},
    })
    expect(decoded.manifest.payload.sha256).toBe(node.manifest.payload.sha256)
    const kernel = 'g.dense3.kernel'
    expect(decoded.tensors.get(kernel)).toEqual(generatorTensors(model, state).get(kernel))
    expect(decoded.tensors.get(kernel)).not.toEqual(initial.get(kernel))

    // "Try it": the page drew the file's own digits.
    await page.waitForSelector('#try-view[data-rendered="0:grid"]')
    expect(errors).toEqual([])
  })

  it('should be served by the worker with the bytes of npm run generate', async () => {
    expect(file, 'the download test ran first').toBeDefined()
    const path = join(tmp, 'browser.dgm')
    writeFileSync(path, file!)
    // npm run generate reads a model folder: the same manifest and payload, unpacked.
    const { manifest, payload } = splitModelFile(file!)
    const dir = join(tmp, 'browser')
    mkdirSync(dir)
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest))
    writeFileSync(join(dir, 'weights.bin'), payload)
    const out = join(tmp, 'seed-5.png')
    const tsx = join(ROOT, 'node_modules/.bin/tsx')
    const generating = run(tsx, [
      'trainer/generate.ts',
      '--model',
      dir,
      '--seed',
      '5',
      '--out',
      out,
    ])
    const served = await startDevServer({ model: path })
    try {
      const generate = await generating
      expect(generate.code, generate.stderr).toBe(0)
      const res = await served.fetch('/generate?seed=5')
      expect(res.status, served.logs()).toBe(200)
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(new Uint8Array(readFileSync(out)))
      expect(res.headers.get('X-Model')).toBe(decodeModelFile(file!).manifest.payload.sha256)
    } finally {
      await served.stop()
    }
  })

  it('should train on one thread when the page is not cross-origin isolated, and say so', async () => {
    const context = await browser().newContext({ viewport: { width: 1000, height: 760 } })
    try {
      // The same server, its isolation headers stripped on the way.
      await context.route('**/*', async (route) => {
        const response = await route.fetch()
        const headers = { ...response.headers() }
        delete headers['cross-origin-opener-policy']
        delete headers['cross-origin-embedder-policy']
        await route.fulfill({ response, headers })
      })
      const plain = await context.newPage()
      const pageErrors: string[] = []
      plain.on('pageerror', (err) => pageErrors.push(err.message))
      await plain.goto(`${server.url}/train`)
      expect(await plain.evaluate(() => crossOriginIsolated)).toBe(false)
      // Auto: a software WebGPU adapter (SwiftShader here) is passed over for WebAssembly.
      await configure(plain, 20, { ...SETTINGS, engine: 'auto' })
      await plain.click('#start')
      await reached('paused', 20, plain)
      const line = await plain.textContent('#engine-line')
      expect(line).toContain('not cross-origin isolated')
      expect(line).toContain('1 thread')
      const adapter = await plain.evaluate(
        async () => (await navigator.gpu?.requestAdapter()) != null,
      )
      if (adapter) expect(line).toMatch(/WebGPU adapter \(.*\) is a CPU implementation/)
      expect(pageErrors).toEqual([])
    } finally {
      await context.close()
    }
  })

  // Last: it crashes the browser's GPU process.
  it('should train on WebGPU where there is an adapter, and stop clearly when the device is lost', async (ctx) => {
    const context = await browser().newContext({ viewport: { width: 1000, height: 760 } })
    try {
      const gpu = await context.newPage()
      const pageErrors: string[] = []
      gpu.on('pageerror', (err) => pageErrors.push(err.message))
      await gpu.goto(`${server.url}/train`)
      const adapter = await gpu.evaluate(
        async () => (await navigator.gpu?.requestAdapter()) != null,
      )
      if (!adapter) ctx.skip(unavailable('the WebGPU training test', 'no WebGPU adapter'))
      await configure(gpu, 10, { ...SETTINGS, engine: 'webgpu', batch: 16 })
      await gpu.click('#start')
      await reached('paused', 10, gpu)
      expect(await gpu.getAttribute('#engine-line', 'data-kind')).toBe('webgpu')
      expect(await gpu.textContent('#engine-line')).toMatch(/fused WebGPU step .* adapter: /)
      expect(await gpu.getAttribute('#chart', 'data-points')).toBe('1')
      expect(await gpu.getAttribute('#grid', 'data-step')).toBe('10')

      await setNumber('#stopAt', 0, gpu)
      await gpu.click('#resume')
      await gpu.waitForFunction(() => Number(document.querySelector('#step')?.textContent) > 10)
      const cdp = await browser().newBrowserCDPSession()
      // Experimental CDP (playwright-core's types lack it): what a driver crash does to a tab.
      await (cdp.send as (method: string) => Promise<unknown>)('Browser.crashGpuProcess')
      await gpu.waitForFunction(() => document.body.dataset.status === 'failed')
      const error = await gpu.textContent('#error')
      expect(error).toMatch(/^The GPU device was lost/)
      expect(error).toContain('Resume continues from the last checkpoint (step 10)')
      expect(pageErrors).toEqual([])
    } finally {
      await context.close()
    }
  })
})
