/**
 * @module tools/bundle
 * The esbuild call of the web builds: the demo page's script (tools/build-web.ts) and the training
 * page's scripts (tools/build-train.ts) are bundled with the same options, kept here so that the
 * pages cannot drift apart in target, format or how they carry the inference kernel.
 */
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/**
 * Bundles `entry` (relative to the repository root) and what it imports for the browser: one
 * minified ES2022 module, no source map, no legal comments, kept in memory for the caller to
 * name and write.
 * @example const code = await bundleForBrowser('web/demo.ts')
 */
export async function bundleForBrowser(entry: string): Promise<Uint8Array> {
  const result = await build({
    entryPoints: [join(ROOT, entry)],
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    write: false,
    legalComments: 'none',
    // The dense and conv kernel (shared/inference/kernel.wasm, under 2 KiB) is inlined as bytes
    // and compiled where it runs: in the demo page, and inside the training page's worker.
    loader: { '.wasm': 'binary' },
    logLevel: 'warning',
  })
  return result.outputFiles[0].contents
}
