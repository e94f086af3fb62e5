/**
 * @module test/tools/layering
 * The layering rules of `npm run lint:deps` (.dependency-cruiser.cjs) catch what they forbid: the
 * project's own rules and options, through dependency-cruiser's API, over two small trees in a
 * temp folder. The broken tree breaks every rule (an import upward, a type-only import cycle,
 * tfjs outside trainer/, a tool imported by the trainer…) and each rule must report exactly its
 * breaks; the clean tree, the same layers wired the allowed way, must report nothing. A rule that
 * cannot fire fails here: this test found tfjs-only-in-trainer dead, because the options
 * excluded node_modules, which drops every import of an npm package from the cruise.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { cruise, type ICruiseResult, type IConfiguration } from 'dependency-cruiser'
import { afterAll, describe, expect, it } from 'vitest'

const config = createRequire(import.meta.url)('../../.dependency-cruiser.cjs') as IConfiguration
const RULES = (config.forbidden ?? []).map((rule) => rule.name ?? '(unnamed)')

/** A module's source from its lines. */
const lines = (...ls: string[]) => `${ls.join('\n')}\n`

/** A package stub: dependency-cruiser only needs it to resolve. */
const pkg = (name: string) => ({
  [`node_modules/${name}/package.json`]: JSON.stringify({ name, main: 'index.js' }),
  [`node_modules/${name}/index.js`]: lines('export const x = 1'),
})

/** The same layers, wired the allowed way. */
const CLEAN: Record<string, string> = {
  'shared/s.ts': lines("import { x } from 'fflate'", 'export const s = x'),
  'engine/x.ts': lines("import { s } from '../shared/s'", 'export const x = s'),
  'engine/y.ts': lines("import type { x } from './x'", 'export type Y = typeof x'),
  'edge/e.ts': lines(
    "import { Hono } from 'hono'",
    "import { s } from '../shared/s'",
    'export const e = [Hono, s]',
  ),
  // Unresolved until tools/build-web.ts first runs: allowed either way.
  'edge/page.ts': lines("import script from '../dist-web/demo.js'", 'export const page = script'),
  'web/w.ts': lines(
    "import { x } from '../engine/x'",
    "import { s } from '../shared/s'",
    'export const w = [x, s]',
  ),
  'trainer/t.ts': lines(
    "import { x as tf } from '@tensorflow/tfjs'",
    "import { x } from '../engine/x'",
    'export const t = [tf, x]',
  ),
  'tools/b.ts': lines("import { t } from '../trainer/t'", 'export const b = t'),
  'test/b.test.ts': lines(
    "import { b } from '../tools/b'",
    "import { e } from '../edge/e'",
    'export const c = [b, e]',
  ),
  ...pkg('fflate'),
  ...pkg('hono'),
  ...pkg('@tensorflow/tfjs'),
}

/** Every rule broken on purpose (EXPECTED says where). */
const BROKEN: Record<string, string> = {
  'shared/a.ts': lines(
    "import { b } from '../trainer/b'",
    "import { readFileSync } from 'node:fs'",
    'export const a = [b, readFileSync]',
  ),
  'trainer/b.ts': lines("import { t } from '../tools/t'", 'export const b = t'),
  'tools/t.ts': lines('export const t = 1'),
  // A cycle of type-only imports still ties the two modules together (tsPreCompilationDeps).
  'engine/x.ts': lines("import type { Y } from './y'", 'export type X = { y?: Y }'),
  'engine/y.ts': lines(
    "import type { X } from './x'",
    "import { b } from '../trainer/b'",
    'export type Y = { x?: X; b: typeof b }',
  ),
  'edge/e.ts': lines("import type { X } from '../engine/x'", 'export type E = X'),
  'web/w.ts': lines(
    "import type { E } from '../edge/e'",
    "import { x } from '@tensorflow/tfjs'",
    'export const w: [E?, number?] = [undefined, x]',
  ),
  ...pkg('@tensorflow/tfjs'),
}

/** Rule → the `from → to` imports it must report in BROKEN, and no others (a cycle once). */
const EXPECTED: Record<string, string[]> = {
  'no-circular': ['engine/x.ts → engine/y.ts'],
  'shared-is-self-contained': ['shared/a.ts → trainer/b.ts', 'shared/a.ts → fs'],
  'engine-imports-only-shared': ['engine/y.ts → trainer/b.ts'],
  'edge-imports-shared-hono-and-its-bundle': ['edge/e.ts → engine/x.ts'],
  'web-imports-shared-and-engine': [
    'web/w.ts → edge/e.ts',
    'web/w.ts → node_modules/@tensorflow/tfjs/index.js',
  ],
  'tfjs-only-in-trainer': ['web/w.ts → node_modules/@tensorflow/tfjs/index.js'],
  'tools-are-leaves': ['trainer/b.ts → tools/t.ts'],
  'trainer-is-not-imported-by-products': [
    'shared/a.ts → trainer/b.ts',
    'engine/y.ts → trainer/b.ts',
  ],
}

const roots: string[] = []
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true })
})

/** Writes `files` into a fresh temp folder and cruises it with the project's rules and options. */
async function violations(files: Record<string, string>): Promise<Map<string, string[]>> {
  const root = mkdtempSync(join(tmpdir(), 'digit-gan-layering-'))
  roots.push(root)
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), text)
  }
  const { tsConfig: _projectOnly, ...options } = config.options ?? {}
  const layers = ['shared', 'engine', 'edge', 'web', 'trainer', 'tools', 'test']
  const { output } = await cruise(
    layers.filter((layer) => Object.keys(files).some((path) => path.startsWith(`${layer}/`))),
    { ...options, baseDir: root, validate: true, ruleSet: { forbidden: config.forbidden } },
  )
  const found = new Map<string, string[]>()
  for (const v of (output as ICruiseResult).summary.violations) {
    found.set(v.rule.name, [...(found.get(v.rule.name) ?? []), `${v.from} → ${v.to}`])
  }
  return found
}

describe('the layering rules (.dependency-cruiser.cjs)', () => {
  it('should have a broken case for every rule', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual([...RULES].sort())
  })

  it('should report each rule on exactly the imports that break it', async () => {
    const found = await violations(BROKEN)
    for (const rule of RULES) {
      expect((found.get(rule) ?? []).sort(), rule).toEqual([...EXPECTED[rule]].sort())
    }
  })

  it('should report nothing on the same layers wired the allowed way', async () => {
    expect(Object.fromEntries(await violations(CLEAN))).toEqual({})
  })
})
