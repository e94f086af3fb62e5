/**
 * @module edge/query
 * Strict query-string parsing for the image routes and the demo page. Every parameter is a plain
 * base-10 integer in a fixed range (with a leading `-` only where the range has negatives), one
 * word of a fixed list, or either (`digit=0..9|all` on `/grid`); anything else, a repeated
 * parameter, a missing required one, or a parameter the route does not know is a 400 naming the
 * parameter. Strictness keeps URLs canonical enough to cache forever: `?seed=42&x=1` would
 * otherwise be a second cache key for the same bytes. `digit` is also checked against the model
 * ({@link checkDigit}): an unconditional model refuses it.
 */
import { HTTPException } from 'hono/http-exception'

/** An integer query parameter: inclusive range and an optional default, or required. */
export interface IntParam {
  min: number
  max: number
  default?: number
  /** Absent ⇒ 400 (a parameter with a default is never absent). */
  required?: boolean
}

/** A parameter that is one word of a fixed list, e.g. `format=png|apng`. */
export interface EnumParam {
  values: readonly string[]
  default?: string
}

/** An integer parameter that also takes a few words, e.g. `digit=0..9|all`. */
export interface IntOrWordParam extends IntParam {
  words: readonly string[]
}

/** Any parameter `parseQuery` understands. */
export type QueryParam = IntParam | EnumParam | IntOrWordParam

/** The latent seed: any uint32. */
export const SEED = { min: 0, max: 0xffffffff } as const satisfies IntParam
/** Nearest-neighbour upscale factor: 28 px up to 448 px. */
export const SCALE = { min: 1, max: 16, default: 1 } as const satisfies IntParam
/** Number of digits on a grid. */
export const COUNT = { min: 1, max: 64, default: 16 } as const satisfies IntParam
/**
 * The class a conditional model draws (the digit, for MNIST). Optional: without it the seed picks
 * the class (`seedLabel`, shared/latent/condition). Unconditional models refuse it ({@link checkDigit}).
 */
export const DIGIT = { min: 0, max: 9 } as const satisfies IntParam
/** `/grid`'s digit: one class for every tile, or `all`: one row of every class per seed. */
export const GRID_DIGIT = { ...DIGIT, words: ['all'] } as const satisfies IntOrWordParam

/** Parsed query: parameters with a default or required are always present, others may not be. */
export type ParsedQuery<S extends Record<string, QueryParam>> = {
  [K in keyof S]: S[K] extends EnumParam
    ? S[K] extends { default: string }
      ? S[K]['values'][number]
      : S[K]['values'][number] | undefined
    : S[K] extends IntOrWordParam
      ? number | S[K]['words'][number] | undefined
      : S[K] extends { default: number } | { required: true }
        ? number
        : number | undefined
}

/** Raw query as `validator('query', …)` hands it over: repeated keys become arrays. */
export type RawQuery = Record<string, string | string[]>

// 1–10 plain ASCII digits (uint32 has at most 10; leading zeros allowed, as in `npm run generate`):
// rejects '', '+1', '-1', '1.0', '1e3', '0x10', ' 1' and non-ASCII digits.
const DIGITS = /^[0-9]{1,10}$/
// The same with an optional leading minus, for ranges that include negative numbers.
const SIGNED_DIGITS = /^-?[0-9]{1,10}$/
// Long enough to show what was sent, short enough that an error body never echoes a huge URL.
const MAX_ECHO = 40

/**
 * Builds the function for `validator('query', …)`: it returns the parsed integers or throws an
 * `HTTPException(400)` whose message names the offending parameter and its allowed range.
 * @example
 * app.get('/generate', validator('query', parseQuery({ seed: SEED, scale: SCALE })), (c) => {
 *   const { seed, scale } = c.req.valid('query') // number | undefined, number
 * })
 */
export function parseQuery<const S extends Record<string, QueryParam>>(
  params: S,
): (query: RawQuery) => ParsedQuery<S> {
  const names = Object.keys(params)
  const allowed = names.length === 0 ? 'no query parameters' : `only ${names.join(', ')}`
  return (query) => {
    const out: Record<string, number | string | undefined> = {}
    for (const name of Object.keys(query)) {
      if (!Object.hasOwn(params, name)) {
        throw badRequest(`Expected ${allowed}, but got unknown parameter ${echo(name)}.`)
      }
    }
    for (const name of names) {
      const spec = params[name]
      const raw = Object.hasOwn(query, name) ? query[name] : undefined
      if (Array.isArray(raw)) {
        throw badRequest(`Expected ${name} at most once, but got it ${raw.length} times.`)
      }
      if (raw === undefined) {
        if ('required' in spec && spec.required) {
          throw badRequest(`${expected(name, spec)}, but got none.`)
        }
        out[name] = spec.default
      } else {
        out[name] =
          'values' in spec
            ? parseWord(name, raw, spec)
            : 'words' in spec && spec.words.includes(raw)
              ? raw
              : parseInteger(name, raw, spec)
      }
    }
    return out as ParsedQuery<S>
  }
}

/** Parses one value as a plain base-10 integer in `[spec.min, spec.max]`. */
export function parseInteger(name: string, raw: string, spec: IntParam): number {
  // At most 10 digits convert exactly; NaN fails both comparisons below. `+ 0` turns −0 into 0.
  const value = (spec.min < 0 ? SIGNED_DIGITS : DIGITS).test(raw) ? Number(raw) + 0 : NaN
  if (!(value >= spec.min && value <= spec.max)) {
    throw badRequest(`${expected(name, spec)}, but got ${echo(raw)}.`)
  }
  return value
}

/** Checks one value against the words of `spec`. */
export function parseWord(name: string, raw: string, spec: EnumParam): string {
  if (!spec.values.includes(raw)) throw badRequest(`${expected(name, spec)}, but got ${echo(raw)}.`)
  return raw
}

/**
 * Checks a parsed `digit` against the model's classes: a conditional model takes any of them (and
 * `all` where the route has it), an unconditional one (`classes` 0) none, since it cannot choose.
 * @throws HTTPException 400 naming `digit` and why.
 * @example checkDigit(7, generator.classes) // 7, or a 400 on an unconditional model
 */
export function checkDigit<D extends number | string | undefined>(digit: D, classes: number): D {
  if (digit === undefined) return digit
  if (classes === 0) {
    throw badRequest(
      `Expected no digit: this model is unconditional (the seed alone decides which digit it ` +
        `draws), but got digit=${digit}.`,
    )
  }
  if (typeof digit === 'number' && digit >= classes) {
    throw badRequest(`Expected digit to be an integer in 0..${classes - 1}, but got ${digit}.`)
  }
  return digit
}

/**
 * "Expected seed to be an integer in 0..4294967295" / "Expected format to be one of png, apng" /
 * "Expected digit to be an integer in 0..9 or all".
 */
function expected(name: string, spec: QueryParam): string {
  if ('values' in spec) return `Expected ${name} to be one of ${spec.values.join(', ')}`
  const words = 'words' in spec ? spec.words.map((w) => ` or ${w}`).join('') : ''
  return `Expected ${name} to be an integer in ${spec.min}..${spec.max}${words}`
}

function badRequest(message: string): HTTPException {
  return new HTTPException(400, { message })
}

/** Quotes untrusted text for an error message, cut short. */
function echo(text: string): string {
  const cut = text.length > MAX_ECHO ? `${text.slice(0, MAX_ECHO)}…` : text
  return JSON.stringify(cut)
}
