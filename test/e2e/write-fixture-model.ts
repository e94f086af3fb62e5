/**
 * @module test/e2e/write-fixture-model
 * Rewrites the committed golden-test models from their deterministic recipes in
 * test/edge/fixture-model.ts (test/fixtures/tiny-model/, unconditional, and
 * test/fixtures/tiny-cgan/, conditioned on 10 digits), then prints the golden PNG hashes the shared
 * pipeline gives them, in the form test/edge/golden.test.ts pins them. Needed only when the
 * artifact format or the pipeline changes on purpose; the edge tests check the committed copies
 * still equal the recipes.
 *
 * Run: `npx tsx test/e2e/write-fixture-model.ts`
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { sha256Hex } from '../../shared/codec/sha256'
import { createGenerator } from '../../shared/inference/forward'
import type { Generator } from '../../shared/inference/forward'
import { renderInterpolationPng } from '../../shared/render/interpolate'
import { renderClassGridPng, renderDigitPng, renderGridPng } from '../../shared/render/render'
import { decodeWeights, MANIFEST_FILE, PAYLOAD_FILE } from '../../shared/model/weights'
import type { Manifest } from '../../shared/model/weights'
import {
  buildConditionalFixtureModel,
  buildFixtureModel,
  CGAN_GOLDEN_URLS,
  GOLDEN_URLS,
} from '../edge/fixture-model'

/**
 * The bytes the worker's route defaults give for a fixture URL (scale 1, n 16 or one row per seed
 * with digit=all, steps 8), computed with the shared renderers directly.
 */
function renderUrl(generator: Generator, url: string): Uint8Array {
  const query = new URL(url, 'http://fixture').searchParams
  const int = (name: string, fallback?: number) =>
    query.has(name) ? Number(query.get(name)) : fallback
  const scale = int('scale', 1)!
  const digit = query.get('digit')
  if (url.startsWith('/interpolate')) {
    const [from, to, steps] = [int('from')!, int('to')!, int('steps', 8)!]
    return renderInterpolationPng(generator, from, to, steps, scale, int('digit'))
  }
  const seed = int('seed')!
  if (url.startsWith('/grid')) {
    if (digit === 'all') {
      const n = int('n', generator.classes)!
      return renderClassGridPng(generator, seed, n / generator.classes, scale)
    }
    return renderGridPng(generator, seed, int('n', 16)!, scale, int('digit'))
  }
  return renderDigitPng(generator, seed, scale, int('digit'))
}

function write(folder: string, model: { manifest: Manifest; payload: Uint8Array }): Generator {
  const dir = fileURLToPath(new URL(`../fixtures/${folder}/`, import.meta.url))
  mkdirSync(dir, { recursive: true })
  writeFileSync(`${dir}${PAYLOAD_FILE}`, model.payload)
  writeFileSync(`${dir}${MANIFEST_FILE}`, `${JSON.stringify(model.manifest, null, 2)}\n`)
  const { byteLength } = model.payload
  console.log(`wrote ${dir} (${byteLength} bytes, sha256 ${model.manifest.payload.sha256})`)
  return createGenerator(decodeWeights(model.manifest, model.payload))
}

for (const [folder, model, urls] of [
  ['tiny-model', buildFixtureModel(), GOLDEN_URLS],
  ['tiny-cgan', buildConditionalFixtureModel(), CGAN_GOLDEN_URLS],
] as const) {
  const generator = write(folder, model)
  for (const url of urls) console.log(`  '${url}': '${sha256Hex(renderUrl(generator, url))}',`)
}
