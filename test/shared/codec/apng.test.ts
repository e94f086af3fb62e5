/**
 * @module test/shared/codec/apng
 * The APNG encoder: chunk order, acTL counts, one sequence counter over fcTL and fdAT from 0,
 * frame timing, frames that decode back to their pixels (with an independent reader), the first
 * frame as the default image, deterministic bytes, and clear errors.
 */
import { describe, expect, it } from 'vitest'
import { encodeApng } from '../../../shared/codec/apng'
import { encodePng } from '../../../shared/codec/png'
import { Xoshiro128 } from '../../../shared/latent/rng'
import { decodeApng, decodePng, readChunks } from '../../edge/png-decode'

function randomFrames(count: number, size: number): Uint8Array[] {
  const rng = new Xoshiro128(count * 1000 + size)
  return Array.from({ length: count }, () => {
    return Uint8Array.from({ length: size }, () => rng.nextUint32() & 0xff)
  })
}

describe('encodeApng', () => {
  it('should write IHDR, acTL, then fcTL + IDAT and fcTL + fdAT per frame, then IEND', () => {
    const apng = encodeApng(randomFrames(3, 12), 4, 3, 1, { delayMs: 80 })
    expect(readChunks(apng).map((c) => c.type)).toEqual([
      'IHDR',
      'acTL',
      'fcTL',
      'IDAT',
      'fcTL',
      'fdAT',
      'fcTL',
      'fdAT',
      'IEND',
    ])
  })

  it('should count frames in acTL, loop forever by default and number fcTL/fdAT from 0', () => {
    const frames = randomFrames(5, 28 * 28)
    const decoded = decodeApng(encodeApng(frames, 28, 28, 1, { delayMs: 100 }))
    expect(decoded.numFrames).toBe(5)
    expect(decoded.numPlays).toBe(0)
    expect(decoded.sequence).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8])
    expect(decoded.frames.map((f) => f.pixels)).toEqual(frames)
    expect(decoded.frames.map((f) => f.delayMs)).toEqual([100, 100, 100, 100, 100])
  })

  it('should honour per-frame delays, plays and RGB or RGBA frames', () => {
    const frames = randomFrames(2, 2 * 2 * 4)
    const decoded = decodeApng(encodeApng(frames, 2, 2, 4, { delayMs: [500, 65535], plays: 3 }))
    expect(decoded).toMatchObject({ channels: 4, numFrames: 2, numPlays: 3 })
    expect(decoded.frames.map((f) => f.delayMs)).toEqual([500, 65535])
    expect(decoded.frames.map((f) => f.pixels)).toEqual(frames)
    const rgb = randomFrames(2, 2 * 2 * 3)
    expect(decodeApng(encodeApng(rgb, 2, 2, 3, { delayMs: 1 })).frames[1].pixels).toEqual(rgb[1])
  })

  it('should show the first frame to a plain PNG decoder, compressed as encodePng does', () => {
    const frames = randomFrames(3, 28 * 28)
    const apng = encodeApng(frames, 28, 28, 1, { delayMs: 100 })
    expect(decodePng(apng).pixels).toEqual(frames[0])
    const idat = (png: Uint8Array) => readChunks(png).find((c) => c.type === 'IDAT')!.data
    expect(idat(apng)).toEqual(idat(encodePng(frames[0], 28, 28)))
  })

  it('should be deterministic', () => {
    const frames = randomFrames(4, 64)
    expect(encodeApng(frames, 8, 8, 1, { delayMs: 50 })).toEqual(
      encodeApng(frames, 8, 8, 1, { delayMs: 50 }),
    )
  })

  it('should reject no frames, bad frames, bad delays and bad plays', () => {
    const frame = new Uint8Array(4)
    expect(() => encodeApng([], 2, 2, 1, { delayMs: 10 })).toThrow(/at least one frame/)
    expect(() => encodeApng([frame, new Uint8Array(3)], 2, 2, 1, { delayMs: 10 })).toThrow(
      /pixel bytes/,
    )
    for (const delayMs of [0, 65536, 1.5, NaN]) {
      expect(() => encodeApng([frame], 2, 2, 1, { delayMs })).toThrow(/delays/)
    }
    expect(() => encodeApng([frame], 2, 2, 1, { delayMs: [10, 10] })).toThrow(/1 frame delays/)
    expect(() => encodeApng([frame], 2, 2, 1, { delayMs: 10, plays: -1 })).toThrow(/plays/)
  })
})
