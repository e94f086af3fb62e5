import { describe, expect, it } from 'vitest'
import { tileGrid, upscale } from '../../shared/image'

describe('upscale', () => {
  it('should turn every pixel into a scale × scale block', () => {
    const src = new Uint8Array([1, 2, 3, 4, 5, 6]) // 3 × 2
    expect(Array.from(upscale(src, 3, 2, 2))).toEqual([
      1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 4, 4, 5, 5, 6, 6,
    ])
  })

  it('should keep channels interleaved', () => {
    const rgb = new Uint8Array([10, 20, 30, 40, 50, 60]) // 2 × 1 RGB
    expect(Array.from(upscale(rgb, 2, 1, 2, 3))).toEqual([
      10, 20, 30, 10, 20, 30, 40, 50, 60, 40, 50, 60, 10, 20, 30, 10, 20, 30, 40, 50, 60, 40, 50,
      60,
    ])
  })

  it('should return a copy at scale 1 and the right size at scale 16', () => {
    const src = Uint8Array.from({ length: 28 * 28 }, (_, i) => i & 0xff)
    const same = upscale(src, 28, 28, 1)
    expect(same).toEqual(src)
    expect(same).not.toBe(src)
    const big = upscale(src, 28, 28, 16)
    expect(big.length).toBe(448 * 448)
    // pixel (x, y) of the big image comes from (x >> 4, y >> 4)
    for (const [x, y] of [
      [0, 0],
      [447, 447],
      [100, 37],
      [15, 16],
    ]) {
      expect(big[y * 448 + x]).toBe(src[(y >> 4) * 28 + (x >> 4)])
    }
  })

  it('should reject scales outside 1..16 and mismatched buffers', () => {
    const src = new Uint8Array(4)
    for (const bad of [0, 17, 1.5, NaN]) {
      expect(() => upscale(src, 2, 2, bad)).toThrow(/scale to be an integer in \[1, 16\]/)
    }
    expect(() => upscale(src, 2, 3, 2)).toThrow('Expected 2×3×1 = 6 pixel bytes, but got 4.')
    expect(() => upscale(src, 2, 2, 2, 2)).toThrow(/channels/)
  })
})

describe('tileGrid', () => {
  const tile = (v: number) => new Uint8Array(4).fill(v) // 2 × 2

  it('should lay tiles out row-major without padding', () => {
    const grid = tileGrid([tile(1), tile(2), tile(3), tile(4)], 2, 2, 2)
    expect(grid.width).toBe(4)
    expect(grid.height).toBe(4)
    expect(Array.from(grid.pixels)).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4])
  })

  it('should put pad pixels of 0 between tiles and leave missing cells black', () => {
    const grid = tileGrid([tile(1), tile(2), tile(3)], 2, 2, 2, 1)
    expect(grid.width).toBe(5)
    expect(grid.height).toBe(5)
    expect(Array.from(grid.pixels)).toEqual([
      1, 1, 0, 2, 2, 1, 1, 0, 2, 2, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 3, 3, 0, 0, 0,
    ])
  })

  it('should tile non-square RGB tiles', () => {
    const a = new Uint8Array([1, 2, 3, 4, 5, 6]) // 2 × 1 RGB
    const b = new Uint8Array([7, 8, 9, 10, 11, 12])
    const grid = tileGrid([a, b], 2, 1, 1, 0, 3)
    expect(grid).toEqual({
      pixels: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
      width: 2,
      height: 2,
    })
  })

  it('should size a 64-digit grid as 8 × 8 tiles of 28 px', () => {
    const tiles = Array.from({ length: 64 }, (_, i) => new Uint8Array(784).fill(i))
    const grid = tileGrid(tiles, 28, 28, 8)
    expect([grid.width, grid.height]).toEqual([224, 224])
    expect(grid.pixels[(28 * 3 + 5) * 224 + 28 * 6 + 5]).toBe(3 * 8 + 6)
  })

  it('should reject bad input', () => {
    expect(() => tileGrid([], 2, 2, 2)).toThrow('Expected at least one tile, but got 0.')
    expect(() => tileGrid([tile(1), new Uint8Array(3)], 2, 2, 2)).toThrow(
      'Expected tile 1 to have 4 bytes, but got 3.',
    )
    expect(() => tileGrid([tile(1)], 2, 2, 0)).toThrow(/cols/)
    expect(() => tileGrid([tile(1)], 2, 2, 1, -1)).toThrow(/pad/)
  })
})
