/**
 * @module test/e2e/worker
 * End to end: the real `wrangler dev` serving the bundled models/default artifact over HTTP,
 * checked against the Node CLI (`npm run generate`) on the same artifact: byte-identical PNGs,
 * and the same answer to `digit` (the same digit drawn by a conditional model, a refusal by an
 * unconditional one).
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDevServer } from '../../tools/dev-server'
import type { DevServer } from '../../tools/dev-server'
import manifest from '../../models/default/manifest.json'
import { classCount } from '../../shared/model/spec'
import type { NetworkSpec } from '../../shared/model/spec'
import { pngInfo } from '../edge/png-info'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const run = promisify(execFile)
let server: DevServer
let tmp: string
/** CLI output by `${seed}-${scale}`, rendered while wrangler starts. */
let cli: Map<string, Uint8Array>
/** The shipped model's classes: 0 for an unconditional model. */
const CLASSES = classCount(manifest.model.generator as NetworkSpec)

/** The PNG `npm run generate` writes for the shipped model. */
async function cliPng(seed: number, scale: number, extra: string[] = []): Promise<Uint8Array> {
  const out = join(tmp, `${seed}-${scale}${extra.join('')}.png`)
  const args = ['trainer/generate.ts', '--model', 'models/default', '--seed', String(seed)]
  args.push('--scale', String(scale), '--out', out, ...extra)
  await run(join(ROOT, 'node_modules/.bin/tsx'), args, { cwd: ROOT })
  return new Uint8Array(readFileSync(out))
}

async function fetchPng(path: string): Promise<Uint8Array> {
  const res = await server.fetch(path)
  expect(res.status, server.logs()).toBe(200)
  expect(res.headers.get('Content-Type')).toBe('image/png')
  return new Uint8Array(await res.arrayBuffer())
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'digit-gan-e2e-'))
  const cases: [number, number][] = [
    [42, 1],
    [4294967295, 4],
  ]
  const [started, ...pngs] = await Promise.all([
    startDevServer(),
    ...cases.map(([seed, scale]) => cliPng(seed, scale)),
  ])
  server = started
  cli = new Map(cases.map(([seed, scale], i) => [`${seed}-${scale}`, pngs[i]]))
})

afterAll(async () => {
  await server?.stop()
  rmSync(tmp, { recursive: true, force: true })
})

describe('wrangler dev', () => {
  it('should serve /generate?seed=42 twice as the same 28×28 PNG, equal to the CLI', async () => {
    const first = await fetchPng('/generate?seed=42')
    const second = await fetchPng('/generate?seed=42')
    expect(pngInfo(first)).toEqual({ width: 28, height: 28, bitDepth: 8, colorType: 0 })
    expect(second).toEqual(first)
    expect(first).toEqual(cli.get('42-1'))
  })

  it('should match the CLI for an upscaled digit too', async () => {
    const png = await fetchPng('/generate?seed=4294967295&scale=4')
    expect(pngInfo(png)).toMatchObject({ width: 112, height: 112 })
    expect(png).toEqual(cli.get('4294967295-4'))
  })

  it('should revalidate with a plain 304: same headers, no body, no Content-Encoding', async () => {
    const first = await server.fetch('/generate?seed=42')
    await first.arrayBuffer()
    const etag = first.headers.get('ETag')!
    const headers = { 'If-None-Match': etag }
    const res = await server.fetch('/generate?seed=42', { headers })
    expect(res.status).toBe(304)
    expect(res.headers.get('ETag')).toBe(etag)
    expect(res.headers.get('Content-Encoding')).toBeNull()
    expect((await res.arrayBuffer()).byteLength).toBe(0)
  })

  it('should answer digit as the CLI answers --digit: the same digit, or both refuse', async () => {
    const res = await server.fetch('/generate?seed=42&digit=7')
    const model = (await (await server.fetch('/model')).json()) as { classes: number }
    expect(model.classes).toBe(CLASSES)
    if (CLASSES > 0) {
      expect(res.status, server.logs()).toBe(200)
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(await cliPng(42, 1, ['--digit', '7']))
    } else {
      expect(res.status).toBe(400)
      expect(((await res.json()) as { error: string }).error).toContain('unconditional')
      await expect(cliPng(42, 1, ['--digit', '7'])).rejects.toMatchObject({
        code: 2,
        stderr: expect.stringContaining('unconditional'),
      })
    }
  })

  it('should answer a malformed seed with a 400 JSON error over HTTP', async () => {
    const res = await server.fetch('/generate?seed=1e3')
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: string }).error).toContain('seed')
  })
})
