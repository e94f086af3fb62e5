/**
 * @module shared/render/render
 * Seed → PNG bytes: the one pipeline behind the worker's `/generate` and `/grid` and the Node
 * `npm run generate` / `npm run sample` commands, so that the same seed, scale, digit and model
 * give byte-identical PNGs everywhere. Runtime-free (no Node APIs).
 *
 * Pipeline: sampleLatent(seed) → generator.runGray(z, label) → tile (grids) → encodePng, which
 * upscales as it encodes. A conditional generator draws the class `label`; when the caller names
 * none, the seed picks it (`seedLabel` in shared/latent/condition), so a seed alone always means one
 * image.
 */
import { seedLabel } from '../latent/condition'
import type { Generator } from '../inference/forward'
import { tileGrid } from './image'
import { sampleLatent } from '../latent/latent'
import { encodePng } from '../codec/png'
import { assertUint32 } from '../latent/rng'

/**
 * Revision of the bytes this pipeline renders for a given model and parameters, raised whenever
 * they change (2: quantized dense kernels computed on their stored integers, and images over
 * 1 KiB deflated by shared/codec/deflate-image). Image ETags carry it, so a cache revalidating an image
 * of an older revision gets the new bytes, not a 304.
 */
export const RENDER_REVISION = 2

/** Largest nearest-neighbour display scale. */
export const MAX_SCALE = 16

const TWO_POW_32 = 4294967296

/**
 * The 8-bit grey image for one seed, `side × side` (28 × 28 for MNIST). `label` is the class a
 * conditional generator draws, by default the seed's (`seedLabel`); unconditional ones take none.
 * @throws RangeError for a bad seed, or a label the generator does not take.
 * @example const gray = renderDigit(generator, 42) // Uint8Array(784)
 */
export function renderDigit(generator: Generator, seed: number, label?: number): Uint8Array {
  assertUint32(seed, 'seed')
  const z = sampleLatent(seed, generator.latentDim)
  return generator.runGray(z, label ?? seedLabel(seed, generator.classes))
}

/**
 * The PNG (grayscale, `28·scale` square) of the digit for `seed`, drawn as class `label` (by
 * default the seed's) on a conditional generator.
 * @throws RangeError for a seed outside [0, 2^32 − 1], a scale outside 1..16 or a bad label.
 * @example const png = renderDigitPng(generator, 42, 4, 7) // 112 × 112 PNG of a 7
 */
export function renderDigitPng(
  generator: Generator,
  seed: number,
  scale = 1,
  label?: number,
): Uint8Array<ArrayBuffer> {
  assertScale(scale)
  const side = imageSide(generator)
  return encodePng(renderDigit(generator, seed, label), side, side, 1, scale)
}

/**
 * A PNG grid of `n` digits for the consecutive seeds `seedStart, seedStart + 1, …` (mod 2^32),
 * row-major in `ceil(sqrt(n))` columns without padding; unused cells of the last row are black.
 * On a conditional generator every tile is class `label`, or without one each tile's seed picks
 * its class (`seedLabel`: consecutive seeds cycle through the classes).
 * @throws RangeError for a bad seed or label, a non-positive or fractional `n`, or a scale outside
 * 1..16.
 * @example const png = renderGridPng(generator, 0, 100) // 10 × 10 digits, 280 × 280 px
 */
export function renderGridPng(
  generator: Generator,
  seedStart: number,
  n: number,
  scale = 1,
  label?: number,
): Uint8Array<ArrayBuffer> {
  assertUint32(seedStart, 'seed')
  assertScale(scale)
  assertCount('n', n)
  const side = imageSide(generator)
  const tiles: Uint8Array[] = []
  for (let i = 0; i < n; i++) {
    const seed = (seedStart + i) % TWO_POW_32
    tiles.push(renderDigit(generator, seed, label))
  }
  return tilesPng(tiles, side, gridColumns(n), scale)
}

/**
 * A PNG of every class of a conditional generator for `rows` consecutive seeds: row `r` holds
 * classes `0 … classes − 1` (the digits 0–9 for MNIST), left to right, all drawn from the latent
 * of seed `seedStart + r` (mod 2^32). `classes` columns, no padding.
 * @throws RangeError for an unconditional generator, a bad seed, a non-positive or fractional
 * `rows`, or a scale outside 1..16.
 * @example const png = renderClassGridPng(generator, 1, 2) // 0–9 for seeds 1 and 2, 280 × 56 px
 */
export function renderClassGridPng(
  generator: Generator,
  seedStart: number,
  rows: number,
  scale = 1,
): Uint8Array<ArrayBuffer> {
  assertUint32(seedStart, 'seed')
  assertScale(scale)
  assertCount('rows', rows)
  const classes = generator.classes
  if (classes === 0) {
    throw new RangeError('Expected a conditional generator, but got an unconditional one.')
  }
  const side = imageSide(generator)
  const tiles: Uint8Array[] = []
  for (let r = 0; r < rows; r++) {
    const z = sampleLatent((seedStart + r) % TWO_POW_32, generator.latentDim)
    for (let label = 0; label < classes; label++) tiles.push(generator.runGray(z, label))
  }
  return tilesPng(tiles, side, classes, scale)
}

/** Square grayscale tiles laid out `cols` wide without padding, upscaled `scale`×, as a PNG. */
export function tilesPng(
  tiles: Uint8Array[],
  side: number,
  cols: number,
  scale: number,
): Uint8Array<ArrayBuffer> {
  assertScale(scale)
  const grid = tileGrid(tiles, side, side, cols, 0, 1)
  return encodePng(grid.pixels, grid.width, grid.height, 1, scale)
}

/** Columns of an `n`-image grid: `ceil(sqrt(n))`, so 64 → 8 × 8 and 10 → 4 columns, 3 rows. */
export function gridColumns(n: number): number {
  return Math.ceil(Math.sqrt(n))
}

/** Side of the square grayscale image the generator outputs (28 for MNIST). */
export function imageSide(generator: Generator): number {
  const side = Math.round(Math.sqrt(generator.outputSize))
  if (side * side !== generator.outputSize) {
    throw new RangeError(
      `Expected a square grayscale generator output, but got ${generator.outputSize} values.`,
    )
  }
  return side
}

function assertCount(name: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`Expected ${name} to be a positive integer, but got ${n}.`)
  }
}

/** @throws RangeError unless `scale` is an integer in 1..MAX_SCALE. */
export function assertScale(scale: number): void {
  if (!Number.isInteger(scale) || scale < 1 || scale > MAX_SCALE) {
    throw new RangeError(`Expected scale to be an integer in [1, ${MAX_SCALE}], but got ${scale}.`)
  }
}
