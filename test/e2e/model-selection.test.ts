/**
 * @module test/e2e/model-selection
 * The served model is chosen at build time (wrangler.toml, package.json): `npm run deploy` bundles
 * models/default/, `MODEL=seed-mlp npm run deploy` (or `CLOUDFLARE_ENV=seed-mlp`, wrangler's own
 * variable) bundles models/seed-mlp/ through `[env.seed-mlp]`, and `MODEL=dcgan` models/dcgan/.
 * Checked on the real bundles of
 * `npm run deploy -- --dry-run`: esbuild's metafile names the one manifest each bundle imports
 * (the two folders may hold the same bytes, their paths differ), the bundle carries exactly that
 * folder's weights as its one Data module, each stays under the 1 MiB (gzip) upload budget, and
 * the default build does not trip wrangler's "no target environment" warning.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const run = promisify(execFile)
const MIB = 1024 * 1024
let tmp: string

/** What `npm run deploy -- --dry-run` built: inputs, Data modules, gzip size, wrangler's log. */
interface Bundle {
  inputs: string[]
  weights: Buffer[]
  gzipBytes: number
  output: string
}

async function dryRun(name: string, env: Record<string, string>): Promise<Bundle> {
  const outdir = join(tmp, name)
  // Only the variables this case sets choose the model.
  const rest = { ...process.env }
  delete rest.MODEL
  delete rest.CLOUDFLARE_ENV
  const args = ['--dry-run', '--outdir', outdir, '--metafile', join(outdir, 'meta.json')]
  const { stdout, stderr } = await run(
    'npm',
    ['run', '--silent', 'deploy', '--', ...args],
    { cwd: ROOT, env: { ...rest, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', ...env } },
  )
  const gzip = /gzip: ([0-9.]+) KiB/.exec(stdout)
  if (gzip === null) throw new Error(`Expected wrangler to print the gzip size:\n${stdout}`)
  const meta = JSON.parse(readFileSync(join(outdir, 'meta.json'), 'utf8')) as {
    inputs: Record<string, unknown>
  }
  const bins = readdirSync(outdir).filter((file) => file.endsWith('.bin'))
  return {
    inputs: Object.keys(meta.inputs),
    weights: bins.map((file) => readFileSync(join(outdir, file))),
    gzipBytes: Number(gzip[1]) * 1024,
    output: stdout + stderr,
  }
}

let bundles: Record<'default' | 'seed-mlp' | 'dcgan' | 'via-env-var', Bundle>

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'digit-gan-models-'))
  // One after another: each runs the [build] step that rewrites dist-web/demo.js.
  bundles = {
    default: await dryRun('default', {}),
    'seed-mlp': await dryRun('seed-mlp', { MODEL: 'seed-mlp' }),
    dcgan: await dryRun('dcgan', { MODEL: 'dcgan' }),
    'via-env-var': await dryRun('via-env-var', { CLOUDFLARE_ENV: 'seed-mlp' }),
  }
}, 240_000) // four wrangler builds, one after another

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true })
})

describe('model selection at build time', () => {
  it.each([
    ['default', 'default', 'seed-mlp'],
    ['seed-mlp', 'seed-mlp', 'default'],
    ['dcgan', 'dcgan', 'default'],
    ['via-env-var', 'seed-mlp', 'default'],
  ] as const)('should bundle the %s build with models/%s alone', (build, served, other) => {
    const { inputs, weights, gzipBytes, output } = bundles[build]
    expect(output).not.toContain('WARNING')
    expect(inputs).toContain(`models/${served}/manifest.json`)
    expect(inputs.filter((path) => path.startsWith('models/'))).toEqual([
      `models/${served}/manifest.json`,
    ])
    expect(inputs.some((path) => path.includes(`models/${other}/`))).toBe(false)
    expect(weights).toHaveLength(1)
    expect(weights[0].equals(readFileSync(join(ROOT, `models/${served}/weights.bin`)))).toBe(true)
    expect(gzipBytes).toBeLessThanOrEqual(MIB)
  })
})
