/**
 * @module trainer/generate
 * One digit as a PNG, from Node, through exactly the code the worker runs (shared/render/render), so the
 * file is byte-identical to `GET /generate?seed=42&digit=7&scale=4` for the same model.
 *
 * Run: `npm run generate -- --model models/default --seed 42 --out 42.png [--scale 1..16]
 *      [--digit 0..9]` (`--digit` only for a conditional model; without it the seed picks the
 *      digit, as in the worker). `--model` takes a run folder, an exported folder or a `.dgm`
 *      file (trainer/model-source).
 */
import { seedLabel } from '../shared/latent/condition'
import { createGenerator } from '../shared/inference/forward'
import { MAX_SCALE, renderDigitPng } from '../shared/render/render'
import { assertWritableFile, parseNumber, runMain, UsageError, writeFileAtomic } from './cli'
import { parseFlags, requireFlag, type FlagTable } from './flags'
import { isEntry } from './entry'
import { loadKernel } from './kernel'
import { MODEL_FORMS_HELP, readModelSource } from './model-source'

/** The model a fresh clone ships and the worker serves. */
export const DEFAULT_MODEL_DIR = 'models/default'

const MAX_SEED = 4294967295
/** Largest `--digit`: the worker's `digit` range. */
const MAX_DIGIT = 9

/**
 * Parses a seed the way the worker does: a plain base-10 integer in [0, 2^32 − 1]
 * (no sign, exponent, hex or fraction).
 * @example parseSeed('seed', '42') // 42
 */
export function parseSeed(flag: string, raw: string): number {
  const value = /^[0-9]{1,10}$/.test(raw) ? Number(raw) : NaN
  if (!(value <= MAX_SEED)) {
    throw new UsageError(
      `Expected --${flag} to be a base-10 integer in [0, ${MAX_SEED}], but got '${raw}'.`,
    )
  }
  return value
}

/**
 * Parses `--digit` the way the worker parses `digit`: a plain base-10 integer in [0, 9].
 * @example parseDigit('7') // 7
 */
export function parseDigit(raw: string): number {
  const value = /^[0-9]{1,10}$/.test(raw) ? Number(raw) : NaN
  if (!(value <= MAX_DIGIT)) {
    throw new UsageError(
      `Expected --digit to be a base-10 integer in [0, ${MAX_DIGIT}], but got '${raw}'.`,
    )
  }
  return value
}

/**
 * Checks `--digit` against the model, as the worker checks `digit`: an unconditional model
 * (`classes` 0) takes none, a conditional one any of its classes.
 * @throws UsageError naming the model's path.
 */
export function checkDigit(digit: number | undefined, classes: number, model: string): void {
  if (digit === undefined) return
  if (classes === 0) {
    throw new UsageError(
      `Expected no --digit: ${model} is an unconditional model (the seed alone decides ` +
        `which digit it draws), but got --digit ${digit}.`,
    )
  }
  if (digit >= classes) {
    throw new UsageError(
      `Expected --digit in [0, ${classes - 1}] for ${model}, but got --digit ${digit}.`,
    )
  }
}

/** `npm run generate`'s flags: the same table parses them and prints `--help`. */
export const GENERATE_FLAGS = {
  model: {
    value: 'PATH',
    default: DEFAULT_MODEL_DIR,
    description: `the model: ${MODEL_FORMS_HELP}`,
  },
  seed: { value: 'N', required: true, description: `latent seed, 0..${MAX_SEED}` },
  out: { value: 'FILE', required: true, description: 'PNG file to write' },
  scale: { value: 'N', default: 1, description: `nearest-neighbour upscale, 1..${MAX_SCALE}` },
  digit: {
    value: 'D',
    shownDefault: 'the seed picks it',
    description: `class to draw, 0..${MAX_DIGIT} (conditional models only)`,
  },
} as const satisfies FlagTable

/** The command: parse and check every flag, read the model, render, write atomically. */
export async function main(argv: string[]): Promise<void> {
  const flags = parseFlags(argv, GENERATE_FLAGS, {
    usage: 'npm run generate -- --seed N --out FILE [flags]',
    summary: "Writes one digit as a PNG, the same bytes as the worker's /generate.",
  })
  const seed = parseSeed('seed', requireFlag(flags, 'seed'))
  const digit = typeof flags.digit === 'string' ? parseDigit(flags.digit) : undefined
  const out = requireFlag(flags, 'out')
  const scale =
    typeof flags.scale === 'string'
      ? parseNumber('scale', flags.scale, { min: 1, max: MAX_SCALE, integer: true })
      : GENERATE_FLAGS.scale.default
  const model = flags.model ?? GENERATE_FLAGS.model.default
  assertWritableFile('out', out)

  const { weights } = readModelSource(model)
  const generator = createGenerator(weights, { kernel: loadKernel() })
  checkDigit(digit, generator.classes, model)
  const png = renderDigitPng(generator, seed, scale, digit)
  writeFileAtomic(out, png)
  const [height, width] = weights.manifest.model.imageShape
  const label = digit ?? seedLabel(seed, generator.classes)
  const picked = digit === undefined ? ' (from the seed)' : ''
  const drawn = label === undefined ? '' : `digit ${label}${picked}, `
  console.log(
    `wrote ${out}: seed ${seed}, ${drawn}${width * scale}×${height * scale}, ` +
      `${png.length} bytes, model ${weights.manifest.payload.sha256.slice(0, 12)}`,
  )
}

if (isEntry(import.meta.url, 'generate')) runMain(main)
