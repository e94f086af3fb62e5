/**
 * @module shared/image
 * Pixel-buffer helpers for 8-bit images (row-major, channels interleaved): nearest-neighbour
 * upscaling for display and tiling many digits into one grid image.
 */

/** Largest nearest-neighbour factor; 28 px × 16 = 448 px. */
export const MAX_UPSCALE = 16

function assertPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`Expected ${name} to be a positive integer, but got ${String(value)}.`)
  }
}

function assertChannels(channels: number): void {
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new RangeError(`Expected channels to be 1, 3 or 4, but got ${String(channels)}.`)
  }
}

/**
 * Nearest-neighbour upscale: every pixel becomes a `scale × scale` block. Always returns a new
 * buffer of `(width·scale) · (height·scale) · channels` bytes.
 *
 * @throws RangeError for a bad size, a scale outside 1..16, or a buffer of the wrong length.
 * @example
 * const big = upscale(gray, 28, 28, 4) // 112 × 112
 */
export function upscale(
  pixels: Uint8Array,
  width: number,
  height: number,
  scale: number,
  channels = 1,
): Uint8Array {
  assertPositiveInteger('width', width)
  assertPositiveInteger('height', height)
  assertChannels(channels)
  if (!Number.isInteger(scale) || scale < 1 || scale > MAX_UPSCALE) {
    throw new RangeError(
      `Expected scale to be an integer in [1, ${MAX_UPSCALE}], but got ${String(scale)}.`,
    )
  }
  const stride = width * channels
  if (pixels.length !== stride * height) {
    throw new RangeError(
      `Expected ${width}×${height}×${channels} = ${stride * height} pixel bytes, but got ${pixels.length}.`,
    )
  }
  const outStride = stride * scale
  const out = new Uint8Array(outStride * height * scale)
  for (let y = 0; y < height; y++) {
    // Widen source row y into the first output row of its block, then copy that row down.
    const rowStart = y * scale * outStride
    let o = rowStart
    for (let x = 0; x < width; x++) {
      const src = y * stride + x * channels
      for (let s = 0; s < scale; s++) {
        for (let c = 0; c < channels; c++) out[o++] = pixels[src + c]
      }
    }
    for (let s = 1; s < scale; s++)
      out.copyWithin(rowStart + s * outStride, rowStart, rowStart + outStride)
  }
  return out
}

/** A tiled image and its size in pixels. */
export interface Grid {
  pixels: Uint8Array
  width: number
  height: number
}

/**
 * Lay equal-size tiles out row-major in `cols` columns, with `pad` pixels of 0 (black) between
 * neighbouring tiles (none around the border). Cells of the last row without a tile stay 0.
 * Size: `width = cols·tileW + (cols − 1)·pad`, `height = rows·tileH + (rows − 1)·pad` with
 * `rows = ceil(tiles.length / cols)`.
 *
 * @throws RangeError for no tiles, bad sizes, or a tile of the wrong length.
 * @example
 * const { pixels, width, height } = tileGrid(digits, 28, 28, 8) // 64 digits → 224 × 224
 */
export function tileGrid(
  tiles: Uint8Array[],
  tileW: number,
  tileH: number,
  cols: number,
  pad = 0,
  channels = 1,
): Grid {
  assertPositiveInteger('tileW', tileW)
  assertPositiveInteger('tileH', tileH)
  assertPositiveInteger('cols', cols)
  assertChannels(channels)
  if (!Number.isInteger(pad) || pad < 0) {
    throw new RangeError(`Expected pad to be a non-negative integer, but got ${String(pad)}.`)
  }
  if (tiles.length === 0) throw new RangeError('Expected at least one tile, but got 0.')
  const tileBytes = tileW * tileH * channels
  tiles.forEach((tile, i) => {
    if (tile.length !== tileBytes) {
      throw new RangeError(`Expected tile ${i} to have ${tileBytes} bytes, but got ${tile.length}.`)
    }
  })
  const rows = Math.ceil(tiles.length / cols)
  const width = cols * tileW + (cols - 1) * pad
  const height = rows * tileH + (rows - 1) * pad
  const stride = width * channels
  const tileStride = tileW * channels
  const pixels = new Uint8Array(stride * height)
  tiles.forEach((tile, i) => {
    const x0 = (i % cols) * (tileW + pad) * channels
    const y0 = Math.floor(i / cols) * (tileH + pad)
    for (let y = 0; y < tileH; y++) {
      pixels.set(tile.subarray(y * tileStride, (y + 1) * tileStride), (y0 + y) * stride + x0)
    }
  })
  return { pixels, width, height }
}
