/**
 * @module test/e2e/write-fixture-model
 * Rewrites the committed golden-test model from its deterministic recipe in
 * test/edge/fixture-model.ts, then prints the golden PNG hashes the shared pipeline gives it, in the
 * form test/edge/golden.test.ts pins them. Needed only when the artifact format or the pipeline
 * changes on purpose; the edge tests check the committed copy still equals the recipe.
 *
 * Run: `npx tsx test/e2e/write-fixture-model.ts`
 */
import { createHash } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createGenerator } from '../../shared/forward'
import { renderDigitPng, renderGridPng } from '../../shared/render'
import { decodeWeights } from '../../shared/weights'
import { buildFixtureModel, GOLDEN_URLS } from '../edge/fixture-model'

const dir = fileURLToPath(new URL('../fixtures/tiny-model/', import.meta.url))
const { manifest, payload } = buildFixtureModel()
mkdirSync(dir, { recursive: true })
writeFileSync(`${dir}weights.bin`, payload)
writeFileSync(`${dir}manifest.json`, `${JSON.stringify(manifest, null, 2)}\n`)
console.log(`wrote ${dir} (${payload.byteLength} bytes, sha256 ${manifest.payload.sha256})`)

// The routes' defaults (scale 1, n 16) spelled out: the URLs only name what they change.
const generator = createGenerator(decodeWeights(manifest, payload))
for (const url of GOLDEN_URLS) {
  const query = new URL(url, 'http://fixture').searchParams
  const seed = Number(query.get('seed'))
  const scale = Number(query.get('scale') ?? 1)
  const png = url.startsWith('/grid')
    ? renderGridPng(generator, seed, Number(query.get('n') ?? 16), scale)
    : renderDigitPng(generator, seed, scale)
  console.log(`  ['${url}', '${createHash('sha256').update(png).digest('hex')}'],`)
}
