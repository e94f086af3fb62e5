/**
 * @module trainer/cli
 * What every trainer command shares: strict `--kebab-case` flags mapped onto camelCase keys, one
 * readable error line instead of a stack trace, and atomic file writes.
 */
import { renameSync, writeFileSync, mkdirSync, rmSync } from 'node:fs'
import { dirname, join, basename } from 'node:path'
import { parseArgs } from 'node:util'

/** A mistake by the user (flag, value, path): printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}

export type FlagType = 'string' | 'boolean'

/**
 * Parses `--key value` / `--key=value` flags. Unknown flags and positionals throw a UsageError.
 * Returns the raw values keyed by camelCase name.
 * @example parseFlags(['--d-steps', '2'], { dSteps: 'string' }) // { dSteps: '2' }
 */
export function parseFlags(
  argv: string[],
  flags: Record<string, FlagType>,
): Record<string, string | boolean | undefined> {
  const options: Record<string, { type: FlagType }> = {}
  const byKebab = new Map<string, string>()
  for (const [key, type] of Object.entries(flags)) {
    const kebab = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)
    options[kebab] = { type }
    byKebab.set(kebab, key)
  }
  let parsed
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: false })
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0], { cause: err })
  }
  const out: Record<string, string | boolean | undefined> = {}
  for (const [kebab, value] of Object.entries(parsed.values)) {
    out[byKebab.get(kebab)!] = value as string | boolean
  }
  return out
}

/** Parses a flag value as a number, failing with a message that names the flag and range. */
export function parseNumber(
  flag: string,
  raw: string,
  { min = -Infinity, max = Infinity, integer = false } = {},
): number {
  const value = raw.trim() === '' ? NaN : Number(raw)
  const kind = integer ? 'an integer' : 'a number'
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
    const range = `${min === -Infinity ? '' : ` >= ${min}`}${min !== -Infinity && max !== Infinity ? ' and' : ''}${max === Infinity ? '' : ` <= ${max}`}`
    throw new UsageError(`Expected --${flag} to be ${kind}${range}, but got '${raw}'.`)
  }
  return value
}

/** Writes a file atomically: a temp file beside it, then rename, so readers never see half a file. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true })
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`)
  try {
    writeFileSync(tmp, data)
    renameSync(tmp, path)
  } catch (err) {
    rmSync(tmp, { force: true })
    throw err
  }
}

/**
 * Runs a command's main function: errors become one line on stderr and a non-zero exit.
 * Set DEBUG=1 to see the stack.
 */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    const e = err instanceof Error ? err : new Error(String(err))
    if (process.env.DEBUG) console.error(e)
    process.stderr.write(`error: ${e.message.split('\n')[0]}\n`)
    process.exit(e instanceof UsageError ? 2 : 1)
  })
}
