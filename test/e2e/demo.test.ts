/**
 * @module test/e2e/demo
 * The demo page in a real browser: Chromium from npm (`@sparticuz/chromium`, or the user's own
 * via DIGIT_GAN_CHROMIUM; test/support/browser.ts) driven by playwright-core against
 * `wrangler dev`. The digits the page draws with the shared engine — on its WebAssembly kernel —
 * must equal, pixel for pixel, the PNGs the worker serves for the same state: `/generate` for a
 * seed, `/interpolate` halfway along a walk, `/grid` for the 8 × 8 view; Chromium's own decoder
 * plays the `/interpolate` APNG with every frame. The page also gets a WebGPU adapter
 * (SwiftShader's software Vulkan, from the same package) and runs a compute pass on it.
 * Without a browser or an adapter these tests skip and say why; with DIGIT_GAN_STRICT=1 (CI) they
 * fail instead. Controls are driven by keyboard where a user would. A screenshot lands in
 * test-results/demo.png.
 */
/// <reference types="@webgpu/types" />
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDevServer } from '../../tools/dev-server'
import type { DevServer } from '../../tools/dev-server'
import manifest from '../../models/default/manifest.json'
import { seedLabel } from '../../shared/latent/condition'
import { classCount, type NetworkSpec } from '../../shared/model/spec'
import { decodePng } from '../edge/png-decode'
import { openPage, startBrowser } from '../support/browser'
import { unavailable } from '../support/strict'

const RESULTS = fileURLToPath(new URL('../../test-results/', import.meta.url))

/** The served model's classes (0: unconditional); a walk holds the digit of its start seed. */
const CLASSES = classCount(manifest.model.generator as NetworkSpec)
const WALK_DIGIT = CLASSES > 0 ? `&digit=${seedLabel(1234, CLASSES)}` : ''

const start = await startBrowser('demo page tests')

let server: DevServer
let page: Page
/** Errors the page logged or threw (a CSP violation shows up here too). */
let pageErrors: string[] = []

/** The canvas as grey pixels, after checking it is opaque grey (R = G = B, A = 255). */
async function canvasGray(): Promise<{ width: number; height: number; pixels: Uint8Array }> {
  const { width, height, rgba } = await page.evaluate(() => {
    const canvas = document.querySelector<HTMLCanvasElement>('#view')!
    const image = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height)
    return { width: canvas.width, height: canvas.height, rgba: Array.from(image.data) }
  })
  const pixels = new Uint8Array(width * height)
  for (let i = 0; i < pixels.length; i++) {
    const [r, g, b, a] = rgba.slice(4 * i, 4 * i + 4)
    if (g !== r || b !== r || a !== 255) throw new Error(`Expected opaque grey at pixel ${i}.`)
    pixels[i] = r
  }
  return { width, height, pixels }
}

async function fetchPng(path: string): Promise<ReturnType<typeof decodePng>> {
  const res = await server.fetch(path)
  expect(res.status, path).toBe(200)
  return decodePng(new Uint8Array(await res.arrayBuffer()))
}

/** What the page's WebGPU check found: no adapter, or a compute pass's output and errors. */
type GpuCheck = { error: string } | { architecture: string; values: number[]; errors: string[] }

/** Runs in the page: `v[i] = 2 v[i] + 1` over [0, 1, 2, 3] on the page's WebGPU adapter. */
async function gpuCheck(): Promise<GpuCheck> {
  if (!('gpu' in navigator)) return { error: 'navigator.gpu is missing' }
  const adapter = await navigator.gpu.requestAdapter()
  if (adapter === null) return { error: 'navigator.gpu.requestAdapter() gave null' }
  const device = await adapter.requestDevice()
  // Validation errors do not throw: collect them.
  const errors: string[] = []
  device.addEventListener('uncapturederror', (e) => errors.push(e.error.message))
  const code = `@group(0) @binding(0) var<storage, read_write> v: array<f32>;
    @compute @workgroup_size(4) fn main(@builtin(global_invocation_id) i: vec3u) {
      v[i.x] = v[i.x] * 2.0 + 1.0;
    }`
  const pipeline = device.createComputePipeline({
    layout: 'auto',
    compute: { module: device.createShaderModule({ code }), entryPoint: 'main' },
  })
  const { STORAGE, COPY_SRC, COPY_DST, MAP_READ } = GPUBufferUsage
  const data = device.createBuffer({ size: 16, usage: STORAGE | COPY_SRC | COPY_DST })
  const read = device.createBuffer({ size: 16, usage: MAP_READ | COPY_DST })
  device.queue.writeBuffer(data, 0, new Float32Array([0, 1, 2, 3]))
  const bindGroup = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [{ binding: 0, resource: { buffer: data } }],
  })
  const encoder = device.createCommandEncoder()
  const pass = encoder.beginComputePass()
  pass.setPipeline(pipeline)
  pass.setBindGroup(0, bindGroup)
  pass.dispatchWorkgroups(1)
  pass.end()
  encoder.copyBufferToBuffer(data, 0, read, 0, 16)
  device.queue.submit([encoder.finish()])
  await read.mapAsync(GPUMapMode.READ)
  const values = Array.from(new Float32Array(read.getMappedRange()))
  device.destroy()
  return { architecture: adapter.info.architecture, values, errors }
}

/** Waits until the canvas shows exactly the state with this canonical query. */
async function rendered(query: string): Promise<void> {
  await page.waitForSelector(`canvas#view[data-rendered="${query}"]`, { timeout: 15_000 })
}

afterAll(async () => {
  if ('browser' in start) await start.browser.close()
  await server?.stop()
})

describe.skipIf(start.skipReason !== '')('the demo page in Chromium', () => {
  beforeAll(async () => {
    if (!('browser' in start)) return
    server = await startDevServer()
    const opened = await openPage(start.browser)
    page = opened.page
    pageErrors = opened.errors
  })

  it('should render a typed seed exactly as /generate does, and put it in the URL', async () => {
    await page.goto(`${server.url}/?seed=42`)
    await rendered('seed=42')
    await page.fill('#seed', '1234')
    await rendered('seed=1234')
    const canvas = await canvasGray()
    const png = await fetchPng('/generate?seed=1234')
    expect({ width: canvas.width, height: canvas.height }).toEqual({ width: 28, height: 28 })
    expect(canvas.pixels).toEqual(png.pixels)
    expect(page.url()).toBe(`${server.url}/?seed=1234`)
    const label = CLASSES > 0 ? `Seed 1234, digit ${seedLabel(1234, CLASSES)}` : 'Seed 1234'
    expect(await page.getAttribute('#view', 'aria-label')).toBe(label)
    await expect.poll(() => page.textContent('#timing')).toMatch(/ms per image/)
    // the engine ran on the WebAssembly kernel, not the JS fallback
    expect(await page.getAttribute('#view', 'data-kernel')).toBe('wasm')
  })

  it('should get a WebGPU adapter in the page and run a compute pass on it', async (ctx) => {
    const result = await page.evaluate(gpuCheck)
    if ('error' in result) return ctx.skip(unavailable('WebGPU page test', result.error))
    console.log(`WebGPU adapter in the page: ${result.architecture}`)
    expect(result.errors).toEqual([])
    expect(result.values).toEqual([1, 3, 5, 7])
  })

  it('should walk to the target seed with the slider, by keyboard', async () => {
    await page.fill('#to', '77')
    await page.focus('#t')
    await page.keyboard.press('End')
    await rendered('seed=1234&to=77&t=100')
    const end = await fetchPng(`/generate?seed=77${WALK_DIGIT}`)
    expect((await canvasGray()).pixels).toEqual(end.pixels)
    // Home, then five PageUps of 10 %: halfway, the middle tile of a 3-step /interpolate strip
    await page.keyboard.press('Home')
    for (let i = 0; i < 5; i++) await page.keyboard.press('PageUp')
    await rendered('seed=1234&to=77&t=50')
    const strip = await fetchPng('/interpolate?from=1234&to=77&steps=3')
    const middle = new Uint8Array(28 * 28)
    for (let y = 0; y < 28; y++) middle.set(strip.pixels.subarray(y * 84 + 28, y * 84 + 56), y * 28)
    expect((await canvasGray()).pixels).toEqual(middle)
    expect(await page.textContent('#t-value')).toBe('50 %')
  })

  it('should show the 8 × 8 grid equal to /grid?n=64 and move along a direction', async () => {
    await page.focus('#t')
    await page.keyboard.press('Home')
    await page.check('input[name="view"][value="grid"]')
    await rendered('seed=1234&to=77&view=grid')
    const canvas = await canvasGray()
    const grid = await fetchPng('/grid?seed=1234&n=64')
    expect({ width: canvas.width, height: canvas.height }).toEqual({ width: 224, height: 224 })
    expect(canvas.pixels).toEqual(grid.pixels)
    await page.focus('#d1')
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight')
    await rendered('seed=1234&to=77&d1=5&view=grid')
    expect((await canvasGray()).pixels).not.toEqual(grid.pixels)
    expect(await page.textContent('#d1-value')).toBe('+0.5')
    expect(await page.getAttribute('#d1', 'aria-valuetext')).toBe('+0.5')
  })

  it('should decode the /interpolate APNG in Chromium: every frame, looping, exact ends', async () => {
    const decoded = await page.evaluate(async () => {
      const res = await fetch('/interpolate?from=1234&to=77&steps=6&format=apng')
      const decoder = new ImageDecoder({ data: await res.arrayBuffer(), type: 'image/apng' })
      await decoder.tracks.ready
      const track = decoder.tracks.selectedTrack!
      const grey = async (frameIndex: number) => {
        const { image } = await decoder.decode({ frameIndex })
        const canvas = new OffscreenCanvas(28, 28)
        const context = canvas.getContext('2d')!
        context.drawImage(image, 0, 0)
        image.close()
        const rgba = context.getImageData(0, 0, 28, 28).data
        return Array.from({ length: 28 * 28 }, (_, i) => rgba[4 * i])
      }
      return {
        type: res.headers.get('Content-Type'),
        frameCount: track.frameCount,
        repetitionCount: track.repetitionCount,
        first: await grey(0),
        last: await grey(track.frameCount - 1),
      }
    })
    expect(decoded).toMatchObject({ type: 'image/apng', frameCount: 6, repetitionCount: Infinity })
    expect(decoded.first).toEqual(Array.from((await fetchPng('/generate?seed=1234')).pixels))
    const end = await fetchPng(`/generate?seed=77${WALK_DIGIT}`)
    expect(decoded.last).toEqual(Array.from(end.pixels))
  })

  it('should restore a shared URL and save a screenshot', async () => {
    await page.goto(`${server.url}/?seed=2024&to=7&t=40&d2=-10&view=grid`)
    await rendered('seed=2024&to=7&t=40&d2=-10&view=grid')
    expect(await page.inputValue('#seed')).toBe('2024')
    expect(await page.inputValue('#t')).toBe('40')
    await expect.poll(() => page.textContent('#timing')).toMatch(/64 images in .* ms per image/)
    mkdirSync(RESULTS, { recursive: true })
    await page.screenshot({ path: `${RESULTS}demo.png`, fullPage: true })
    expect(pageErrors).toEqual([])
  })
})
