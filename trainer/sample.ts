/**
 * @module trainer/sample
 * Batch generation through the shared latent sampler and TS forward pass (the worker's code):
 * N samples for the seeds S, S+1, …, S+N−1 (mod 2^32), written as raw float32 or as a PNG grid.
 *
 * Run: `npm run sample -- --model models/default --n 10000 --out runs/samples.f32 [--seed-start 0]`
 *      `npm run sample -- --model models/default --n 100 --out docs/samples.png`
 *      `npm run sample -- --model <conditional model> --n 100 --digit 7 --out sevens.png`
 * (`--model`: a run folder, an exported folder or a `.dgm` file; trainer/model-source)
 *
 * `.f32` layout: little-endian float32 `[N, 784]`, row-major, values in [-1, 1] (tanh output),
 * no header; sample i is the one the worker serves for seed S+i (`/generate?seed=S+i`, or with
 * `--digit d` `/generate?seed=S+i&digit=d`; without it a conditional model draws each seed's own
 * digit, seed mod 10). The PNG grid is `/grid?seed=S&n=N[&digit=d]` for N ≤ 64.
 */
import { seedLabel } from '../shared/latent/condition'
import { createGenerator, type Generator } from '../shared/inference/forward'
import { sampleLatent } from '../shared/latent/latent'
import { renderGridPng } from '../shared/render/render'
import { assertUint32 } from '../shared/latent/rng'
import { assertWritableFile, parseNumber, runMain, UsageError, writeFileAtomic } from './cli'
import { parseFlags, requireFlag, type FlagTable } from './flags'
import { isEntry } from './entry'
import { checkDigit, DEFAULT_MODEL_DIR, parseDigit, parseSeed } from './generate'
import { loadKernel } from './kernel'
import { MODEL_FORMS_HELP, readModelSource } from './model-source'

/** Most samples per `.f32` file: 100k × 784 × 4 B ≈ 314 MB, built in memory before the write. */
export const MAX_SAMPLES_F32 = 100_000
/** Most samples per PNG grid: 100 × 100 digits, 2800 × 2800 px. */
export const MAX_SAMPLES_PNG = 10_000

const TWO_POW_32 = 4294967296
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/**
 * Generator outputs for seeds `seedStart .. seedStart + n − 1` (mod 2^32), concatenated:
 * `[n, outputSize]`. A conditional generator draws class `label` for every seed, or without one
 * each seed's own (`seedLabel`, shared/latent/condition).
 * @example const x = sampleImages(createGenerator(readModelSource('runs/cgan').weights), 0, 100)
 */
export function sampleImages(
  generator: Generator,
  seedStart: number,
  n: number,
  label?: number,
): Float32Array {
  assertUint32(seedStart, 'seedStart')
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(`Expected n to be a non-negative integer, but got ${n}.`)
  }
  const out = new Float32Array(n * generator.outputSize)
  for (let i = 0; i < n; i++) {
    const seed = (seedStart + i) % TWO_POW_32
    const z = sampleLatent(seed, generator.latentDim)
    out.set(generator.run(z, label ?? seedLabel(seed, generator.classes)), i * generator.outputSize)
  }
  return out
}

/** Little-endian bytes of a float32 array, whatever the host byte order. */
export function float32LeBytes(values: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength)
  const bytes = new Uint8Array(values.length * 4)
  const view = new DataView(bytes.buffer)
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true)
  return bytes
}

/** `npm run sample`'s flags: the same table parses them and prints `--help`. */
export const SAMPLE_FLAGS = {
  model: {
    value: 'PATH',
    default: DEFAULT_MODEL_DIR,
    description: `the model: ${MODEL_FORMS_HELP}`,
  },
  n: {
    value: 'N',
    required: true,
    description: `samples: up to ${MAX_SAMPLES_F32} (.f32) or ${MAX_SAMPLES_PNG} (.png)`,
  },
  out: { value: 'FILE', required: true, description: '.f32 (float32 [N, 784]) or .png (a grid)' },
  seedStart: { value: 'S', default: 0, description: 'seed of the first sample (then S+1, …)' },
  digit: {
    value: 'D',
    shownDefault: 'each seed picks its own',
    description: 'class to draw for every seed, 0..9 (conditional models only)',
  },
} as const satisfies FlagTable

/** The command: check every flag and the output path, read the model, sample, write atomically. */
export async function main(argv: string[]): Promise<void> {
  const flags = parseFlags(argv, SAMPLE_FLAGS, {
    usage: 'npm run sample -- --n N --out FILE [flags]',
    summary: "Writes the generator's outputs for N consecutive seeds as float32 or a PNG grid.",
  })
  const out = requireFlag(flags, 'out')
  const format = out.endsWith('.png') ? 'png' : out.endsWith('.f32') ? 'f32' : null
  if (!format) {
    throw new UsageError(`Expected --out to end in .f32 or .png, but got '${out}'.`)
  }
  const max = format === 'png' ? MAX_SAMPLES_PNG : MAX_SAMPLES_F32
  const n = parseNumber('n', requireFlag(flags, 'n'), { min: 1, max, integer: true })
  const seedStart =
    typeof flags.seedStart === 'string'
      ? parseSeed('seed-start', flags.seedStart)
      : SAMPLE_FLAGS.seedStart.default
  const digit = typeof flags.digit === 'string' ? parseDigit(flags.digit) : undefined
  const model = flags.model ?? SAMPLE_FLAGS.model.default
  assertWritableFile('out', out)

  const generator = createGenerator(readModelSource(model).weights, { kernel: loadKernel() })
  checkDigit(digit, generator.classes, model)
  const bytes =
    format === 'png'
      ? renderGridPng(generator, seedStart, n, 1, digit)
      : float32LeBytes(sampleImages(generator, seedStart, n, digit))
  writeFileAtomic(out, bytes)
  const last = (seedStart + n - 1) % TWO_POW_32
  const drawn = digit === undefined ? '' : `, digit ${digit}`
  console.log(
    `wrote ${out}: ${n} samples (seeds ${seedStart}..${last}${drawn}), ${bytes.length} bytes`,
  )
}

if (isEntry(import.meta.url, 'sample')) runMain(main)
