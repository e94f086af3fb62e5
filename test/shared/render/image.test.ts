import { describe, expect, it } from 'vitest'
import { tileGrid } from '../../../shared/render/image'

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
