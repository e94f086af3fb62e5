/**
 * @module tools/build-web
 * Bundles the demo page's script (web/demo.ts and the shared engine it imports) with esbuild into
 * dist-web/demo.js, which the worker imports as text (edge/routes/demo.ts), and builds the training
 * page's static assets (tools/build-train.ts: dist-train/ and dist-web/train-assets.json). Runs
 * before every command
 * that needs it: wrangler's `[build]` step (`npm start`, `npm run deploy`, `npm run build:edge`,
 * `npm run bench:edge`) and vitest's global setup (`npm test`). The output is git-ignored.
 *
 * The file is rewritten only when its bytes change, and then atomically (temp file + rename):
 * parallel `wrangler dev` instances in the end-to-end tests each run this step, and a watcher or a
 * reader must never see a half-written bundle.
 *
 * Run: `npm run build:web` (prints the demo bundle's size, raw and gzip, and the training page's
 * assets).
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { runMain, writeFileAtomic } from '../trainer/cli'
import { isEntry } from '../trainer/entry'
import { buildTrain } from './build-train'
import { bundleForBrowser } from './bundle'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
/** Where the bundle goes, relative to the repository root. */
export const DEMO_BUNDLE = 'dist-web/demo.js'

/** Sizes of the bundle, in bytes. */
export interface BundleInfo {
  path: string
  bytes: number
  gzipBytes: number
  /** False when the file already held these bytes. */
  written: boolean
}

/**
 * Builds the bundle (minified ES2022 module, no source map) and writes it if it changed.
 * @example
 * const { gzipBytes } = await buildDemo() // ≈ 9 KB
 */
export async function buildDemo(): Promise<BundleInfo> {
  const code = await bundleForBrowser('web/demo.ts')
  const path = `${ROOT}${DEMO_BUNDLE}`
  let current: Uint8Array | undefined
  try {
    current = readFileSync(path)
  } catch {
    current = undefined
  }
  const written = current === undefined || Buffer.compare(current, code) !== 0
  if (written) writeFileAtomic(path, code)
  return { path: DEMO_BUNDLE, bytes: code.length, gzipBytes: gzipSync(code).length, written }
}

/** Vitest's global setup (vitest.config.ts): build before any test project loads a module. */
export default async function setup(): Promise<void> {
  await buildDemo()
  await buildTrain()
}

/** `npm run build:web`: builds both, then prints the demo bundle's size and the page's assets. */
async function main(): Promise<void> {
  const [info, train] = await Promise.all([buildDemo(), buildTrain()])
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`
  console.log(`${info.path}: ${kb(info.bytes)}, ${kb(info.gzipBytes)} gzip`)
  console.log(`training page: ${train.page}, ${train.worker} (static assets in dist-train/)`)
}

if (isEntry(import.meta.url, 'build-web')) runMain(main)
