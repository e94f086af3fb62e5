/**
 * @module trainer/flags
 * Command-line flags as data: every command describes its flags in one table (name, type,
 * default, one-line description), and the same table both parses the command line and prints
 * `--help`, so the two cannot drift. Flags are `--kebab-case` and map one-to-one onto the
 * table's camelCase keys; an unknown flag or a positional argument is a UsageError.
 *
 * Values are returned as the raw strings (booleans for switches): each command checks its own
 * ranges with `parseNumber` and friends, so a message names the flag and what it accepts.
 */
import { parseArgs } from 'node:util'
import { HelpRequested, UsageError } from './cli'

/** One flag of a command. */
export interface FlagSpec {
  /** `string` (the default) takes a value; `boolean` is a switch. */
  type?: 'string' | 'boolean'
  /** What the value looks like in the help: `N`, `DIR`, `a|b|c`. */
  value?: string
  /** The value used when the flag is absent; commands read it from here, the help prints it. */
  default?: string | number | boolean
  /** How the help shows a default that is not a plain value (`runs/<timestamp>`). */
  shownDefault?: string
  /** The command refuses to run without it. */
  required?: boolean
  /** One line for `--help`. */
  description: string
}

/** A command's flags by camelCase key. */
export type FlagTable = Record<string, FlagSpec>

/** What `--help` says about the command besides its flags. */
export interface CommandHelp {
  /** How to run it, e.g. `npm run train -- [flags]`. */
  usage: string
  /** What it does, in a sentence. */
  summary: string
}

/** Parsed flags: strings for valued flags, booleans for switches, absent when not given. */
export type FlagValues<T extends FlagTable> = {
  [K in keyof T]?: T[K] extends { type: 'boolean' } ? boolean : string
}

/** `dSteps` → `d-steps`. */
export const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)

/**
 * `--steps -5` → `--steps=-5` for valued flags: node:util's parseArgs refuses a value that starts
 * with a dash as "ambiguous", so a negative number would never reach the range check that names
 * what the flag accepts. Only a single-dash token right after a valued flag is joined (a `--flag`
 * stays a flag), and nothing after `--`.
 */
function joinDashValues(argv: string[], valued: Set<string>): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]
    if (token === '--') return [...out, ...argv.slice(i)]
    const next = argv[i + 1]
    if (
      token.startsWith('--') &&
      valued.has(token.slice(2)) &&
      next !== undefined &&
      /^-[^-]/.test(next) &&
      next !== '-h'
    ) {
      out.push(`${token}=${next}`)
      i++
    } else {
      out.push(token)
    }
  }
  return out
}

/**
 * Parses `--key value` / `--key=value` flags against `flags`. `--help` (or `-h`) anywhere before a
 * `--` throws HelpRequested with the help text (runMain prints it and exits 0).
 * @throws UsageError on an unknown flag, a missing value or a positional argument.
 * @example
 * parseFlags(['--d-steps', '2'], { dSteps: { description: 'D updates per G update' } }, help)
 * // { dSteps: '2' }
 */
export function parseFlags<T extends FlagTable>(
  argv: string[],
  flags: T,
  help: CommandHelp,
): FlagValues<T> {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {}
  const byKebab = new Map<string, string>()
  for (const [key, spec] of Object.entries(flags)) {
    options[kebab(key)] = { type: spec.type ?? 'string' }
    byKebab.set(kebab(key), key)
  }
  const valued = new Set(Object.keys(options).filter((k) => options[k].type === 'string'))
  const args = joinDashValues(argv, valued)
  const end = args.indexOf('--')
  if ((end < 0 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h')) {
    throw new HelpRequested(formatHelp(flags, help))
  }
  let parsed
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: false })
  } catch (err) {
    const first = (err as Error).message.split('\n')[0].replace(/\.$/, '')
    throw new UsageError(`${first}; see --help.`, { cause: err })
  }
  const out: Record<string, string | boolean | undefined> = {}
  for (const [name, value] of Object.entries(parsed.values)) {
    out[byKebab.get(name)!] = value as string | boolean
  }
  return out as FlagValues<T>
}

/** The `--help` text: summary, usage, then one aligned line per flag with its default. */
export function formatHelp(flags: FlagTable, help: CommandHelp): string {
  const rows: [string, string][] = Object.entries(flags).map(([key, spec]) => {
    const value = (spec.type ?? 'string') === 'boolean' ? '' : ` ${spec.value ?? 'VALUE'}`
    const shown =
      spec.shownDefault ??
      (spec.default === undefined || spec.default === '' ? undefined : String(spec.default))
    const note = spec.required ? ' [required]' : shown === undefined ? '' : ` [default: ${shown}]`
    return [`--${kebab(key)}${value}`, `${spec.description}${note}`]
  })
  rows.push(['--help, -h', 'print this help and exit'])
  const width = Math.max(...rows.map(([name]) => name.length))
  return [
    help.summary,
    '',
    `Usage: ${help.usage}`,
    '',
    'Flags:',
    ...rows.map(([name, text]) => `  ${name.padEnd(width)}  ${text}`),
    '',
  ].join('\n')
}
