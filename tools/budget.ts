/**
 * @module tools/budget
 * The worker's size budget: 1 MiB gzip for the whole bundle, model included, as wrangler measures
 * it (its "Total Upload: … / gzip: … KiB" line, the gzip of all modules together). Cloudflare's
 * own limit is higher and depends on the plan; the budget is this project's promise that a worker
 * starts fast on any plan, so `build:edge` and `deploy` refuse a bundle over it unless asked
 * (`--allow-over-budget` or `ALLOW_OVER_BUDGET=1`).
 */
import { gzipSync } from 'node:zlib'
import type { Dtype } from '../shared/model/weights'

/** 1 MiB, gzip. */
export const BUDGET_BYTES = 1024 * 1024
const KIB = 1024

/** The env var that allows a bundle over the budget, like `--allow-over-budget`. */
export const ALLOW_ENV = 'ALLOW_OVER_BUDGET'

// Dtypes from the largest payload to the smallest (README, "Storage dtype").
const BY_SIZE: readonly Dtype[] = ['f32', 'f16', 'q15', 'q14', 'q12', 'q8']

/**
 * The gzip size in bytes from wrangler's output, or undefined when it printed none.
 * @example gzipBytes('Total Upload: 1079.07 KiB / gzip: 996.19 KiB') // 1020098.56
 */
export function gzipBytes(output: string): number | undefined {
  // Without colour codes, should wrangler print any.
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '')
  const match = /Total Upload: [0-9.]+ KiB \/ gzip: ([0-9.]+) KiB/.exec(plain)
  return match ? Number(match[1]) * KIB : undefined
}

/** What the user can do about a model that is too big, e.g. `npm run export -- --run DIR …`. */
export interface BudgetHint {
  /** The run to re-export, when known. */
  runDir?: string
  /** The model's dtype, when known: the advice names a smaller one. */
  dtype?: Dtype
}

/**
 * The one line that explains a bundle over the budget, or undefined when it fits.
 * @example overBudget(1072967, { runDir: 'runs/x', dtype: 'f16' })
 * // 'the worker bundle is 1047.82 KiB gzip, over the 1 MiB (1024 KiB) budget: …'
 */
export function overBudget(
  bytes: number,
  hint: BudgetHint = {},
  what = 'the worker bundle is',
): string | undefined {
  if (bytes <= BUDGET_BYTES) return undefined
  const smaller = BY_SIZE.slice(BY_SIZE.indexOf(hint.dtype ?? 'f16') + 1)
  // q14 is the project's choice (one grey level from f32); below it each step costs fidelity.
  const dtype = smaller.includes('q14') ? 'q14' : smaller[0]
  const run = hint.runDir ?? 'DIR'
  const fix =
    dtype === undefined
      ? 'it is q8 already, so train a smaller model'
      : `export it in a smaller dtype (npm run export -- --run ${run} --dtype ${dtype})`
  return (
    `${what} ${kib(bytes)} gzip, over the 1 MiB (1024 KiB) budget: ${fix}, ` +
    `or allow it with --allow-over-budget (${ALLOW_ENV}=1)`
  )
}

/**
 * A lower bound of the bundle's gzip size before bundling: the payload alone, gzipped as wrangler
 * does (the code adds about 56 KiB). Cheap enough to check before `wrangler dev`.
 */
export function payloadGzipBytes(payload: Uint8Array): number {
  return gzipSync(payload).byteLength
}

/** `1047.82 KiB`, wrangler's rounding. */
export function kib(bytes: number): string {
  return `${(bytes / KIB).toFixed(2)} KiB`
}
