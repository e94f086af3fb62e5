/**
 * @module test/edge/routes/bench
 * The `/__bench` routes exist only with `BENCH=1`, and the control route differs from /generate
 * only in skipping the render, which is what makes the throughput ratio meaningful.
 */
import { describe, expect, it } from 'vitest'
import { createApp } from '../../../edge/app'
import { createModelLoader } from '../../../edge/model'
import manifest from '../../fixtures/tiny-model/manifest.json'
import weights from '../../fixtures/tiny-model/weights.bin'

const app = createApp(createModelLoader(manifest, weights))
const BENCH = { BENCH: '1' }

describe('bench routes', () => {
  it('should be 404 unless BENCH is "1"', async () => {
    expect((await app.request('/__bench/constant?seed=1')).status).toBe(404)
    expect((await app.request('/__bench/constant?seed=1', {}, { BENCH: 'yes' })).status).toBe(404)
    expect((await app.request('/__bench/constant?seed=1', {}, BENCH)).status).toBe(200)
  })

  it('should serve one constant PNG with the headers of /generate', async () => {
    const a = await app.request('/__bench/constant?seed=1', {}, BENCH)
    const b = await app.request('/__bench/constant?seed=2', {}, BENCH)
    const generate = await app.request('/generate?seed=1')
    expect(new Uint8Array(await a.arrayBuffer())).toEqual(new Uint8Array(await b.arrayBuffer()))
    const names = (res: Response) => [...res.headers.keys()].sort()
    expect(names(a)).toEqual(names(generate))
    expect((await app.request('/__bench/constant?seed=-1', {}, BENCH)).status).toBe(400)
  })

  it('should time the render stages per image', async () => {
    const res = await app.request('/__bench/render?images=20', {}, BENCH)
    const timing = (await res.json()) as Record<string, number>
    expect(timing.images).toBe(20)
    for (const key of ['forwardMs', 'pngMs', 'renderMs', 'gridMs']) {
      expect(timing[key]).toBeGreaterThanOrEqual(0)
    }
    expect(timing.bytes).toBeGreaterThan(0)
  })
})
