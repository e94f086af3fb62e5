/**
 * @module shared/render/image
 * Pixel-buffer helpers for 8-bit images (row-major, channels interleaved): tiling many digits
 * into one grid image. (Upscaling for display happens inside the PNG encoder, shared/codec/png.)
 */

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
