/**
 * @module shared/render
 * Seed → PNG bytes: the one pipeline behind the worker's `/generate` and `/grid` and the Node
 * `npm run generate` / `npm run sample` commands, so that the same seed, scale and model give
 * byte-identical PNGs everywhere. Runtime-free (no Node APIs).
 *
 * Pipeline: sampleLatent(seed) → generator.run → toGray → tile (grids) → upscale → encodePng.
 */
import { toGray, type Generator } from './forward'
import { tileGrid, upscale } from './image'
import { sampleLatent } from './latent'
import { encodePng } from './png'
import { assertUint32 } from './rng'

/** Largest nearest-neighbour display scale. */
export const MAX_SCALE = 16

const TWO_POW_32 = 4294967296

/**
 * The 8-bit grey image for one seed, `side × side` (28 × 28 for MNIST).
 * @example const gray = renderDigit(generator, 42) // Uint8Array(784)
 */
export function renderDigit(generator: Generator, seed: number): Uint8Array {
  assertUint32(seed, 'seed')
  return toGray(generator.run(sampleLatent(seed, generator.latentDim)))
}

/**
 * The PNG (grayscale, `28·scale` square) of the digit for `seed`.
 * @throws RangeError for a seed outside [0, 2^32 − 1] or a scale outside 1..16.
 * @example const png = renderDigitPng(generator, 42, 4) // 112 × 112 PNG
 */
export function renderDigitPng(
  generator: Generator,
  seed: number,
  scale = 1,
): Uint8Array<ArrayBuffer> {
  assertScale(scale)
  const side = imageSide(generator)
  const gray = renderDigit(generator, seed)
  const pixels = scale === 1 ? gray : upscale(gray, side, side, scale)
  return encodePng(pixels, side * scale, side * scale, 1)
}

/**
 * A PNG grid of `n` digits for the consecutive seeds `seedStart, seedStart + 1, …` (mod 2^32),
 * row-major in `ceil(sqrt(n))` columns without padding; unused cells of the last row are black.
 * @throws RangeError for a bad seed, a non-positive or fractional `n`, or a scale outside 1..16.
 * @example const png = renderGridPng(generator, 0, 100) // 10 × 10 digits, 280 × 280 px
 */
export function renderGridPng(
  generator: Generator,
  seedStart: number,
  n: number,
  scale = 1,
): Uint8Array<ArrayBuffer> {
  assertUint32(seedStart, 'seed')
  assertScale(scale)
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`Expected n to be a positive integer, but got ${n}.`)
  }
  const side = imageSide(generator)
  const tiles: Uint8Array[] = []
  for (let i = 0; i < n; i++) tiles.push(renderDigit(generator, (seedStart + i) % TWO_POW_32))
  return tilesPng(tiles, side, gridColumns(n), scale)
}

/** Square grayscale tiles laid out `cols` wide without padding, upscaled `scale`×, as a PNG. */
export function tilesPng(
  tiles: Uint8Array[],
  side: number,
  cols: number,
  scale: number,
): Uint8Array<ArrayBuffer> {
  const grid = tileGrid(tiles, side, side, cols, 0, 1)
  const pixels = scale === 1 ? grid.pixels : upscale(grid.pixels, grid.width, grid.height, scale)
  return encodePng(pixels, grid.width * scale, grid.height * scale, 1)
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

function assertScale(scale: number): void {
  if (!Number.isInteger(scale) || scale < 1 || scale > MAX_SCALE) {
    throw new RangeError(`Expected scale to be an integer in [1, ${MAX_SCALE}], but got ${scale}.`)
  }
}
