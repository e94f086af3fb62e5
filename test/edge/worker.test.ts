/**
 * @module test/edge/worker
 * Smoke test of the deployed entry (edge/index.ts with the bundled models/default artifact) through
 * the runtime's own fetch path, `exports.default.fetch`. It compares against the shared pipeline on
 * the same artifact, so it holds for whichever model is shipped.
 */
import { exports } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import manifest from '../../models/default/manifest.json'
import weights from '../../models/default/weights.bin'
import { createGenerator } from '../../shared/inference/forward'
import { renderDigitPng } from '../../shared/render/render'
import { decodeWeights } from '../../shared/model/weights'
import { pngInfo } from './png-info'

describe('the worker entry', () => {
  it('should serve the bundled model: /generate?seed=42 equals the shared pipeline', async () => {
    const res = await exports.default.fetch('http://worker.test/generate?seed=42')
    expect(res.status).toBe(200)
    const png = new Uint8Array(await res.arrayBuffer())
    expect(pngInfo(png)).toEqual({ width: 28, height: 28, bitDepth: 8, colorType: 0 })
    const decoded = decodeWeights(manifest, new Uint8Array(weights))
    expect(png).toEqual(renderDigitPng(createGenerator(decoded), 42, 1))
    expect(res.headers.get('X-Model')).toBe(decoded.manifest.payload.sha256)
  })

  it('should be healthy and keep the bench routes closed without the BENCH binding', async () => {
    expect((await exports.default.fetch('http://worker.test/healthz')).status).toBe(200)
    const bench = await exports.default.fetch('http://worker.test/__bench/render?images=1')
    expect(bench.status).toBe(404)
  })
})
