/**
 * @module test/edge/golden
 * Pins the exact bytes the worker serves for the committed fixture model. The hashes were computed
 * in Node with the same shared pipeline, so passing here inside workerd also shows Node and workerd
 * agree bit for bit, with either dense engine (the WebAssembly kernel or the JS path). A change in
 * sampling, the forward pass or PNG encoding changes these hashes: that is a new image for an old
 * URL, which immutable caching would hide, so it must be deliberate.
 */
import { describe, expect, it } from 'vitest'
import { createApp } from '../../edge/app'
import { createModelLoader } from '../../edge/model'
import kernel from '../../shared/inference/kernel.wasm'
import manifest from '../fixtures/tiny-model/manifest.json'
import weights from '../fixtures/tiny-model/weights.bin'
import { buildFixtureModel, GOLDEN_URLS } from './fixture-model'
import { sha256Hex } from '../../shared/codec/sha256'

// Re-pin with `npx tsx test/e2e/write-fixture-model.ts`, only for a deliberate pipeline change.
const GOLDEN: Record<(typeof GOLDEN_URLS)[number], string> = {
  '/generate?seed=0': 'ed74170257669eafbc48e1d095709ac1ebe32a9816be558f881a7cfb17c5864f',
  '/generate?seed=42': 'a403fd53f93ee89a96192e4a7df83ddefcb23307e425ebcc86c33d5c5cb7b89c',
  '/generate?seed=4294967295': '48b5fc8d0e6a3010339ea3d2fe035242bfb906dcb627e5f656eab58c3db5ecc0',
  '/generate?seed=42&scale=3': '55a3ca4a2f2ef9b63f053619e2b17e5f9bbf2f5d28a2ab70412977a80899c599',
  '/grid?seed=0&n=16': '0580a96b1653be49adfe533d77a14aa7ab9be3777dd31f552047f0751ee46a93',
}

describe('golden PNGs of the fixture model', () => {
  it('should rebuild the committed fixture bit for bit from its recipe', () => {
    const rebuilt = buildFixtureModel()
    expect(rebuilt.manifest).toEqual(manifest)
    expect(rebuilt.payload).toEqual(new Uint8Array(weights))
    expect(Object.keys(GOLDEN)).toEqual([...GOLDEN_URLS])
  })

  const engines = { wasm: { kernel }, js: {} }
  it.for(GOLDEN_URLS.flatMap((url) => (['wasm', 'js'] as const).map((e) => [url, e] as const)))(
    'should serve %s with the pinned sha256 (%s dense layers)',
    async ([url, engine]) => {
      const app = createApp(createModelLoader(manifest, weights, engines[engine]))
      const res = await app.request(url)
      expect(res.status).toBe(200)
      expect(sha256Hex(new Uint8Array(await res.arrayBuffer()))).toBe(GOLDEN[url])
    },
  )
})
