/** @module test/shared/codec/sha256 */
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { sha256Hex } from '../../../shared/codec/sha256'
import { Xoshiro128 } from '../../../shared/latent/rng'

describe('sha256Hex', () => {
  it('should match the standard test vectors', () => {
    expect(sha256Hex(new Uint8Array())).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    )
    expect(sha256Hex(new Uint8Array([0x61, 0x62, 0x63]))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    )
  })

  it("should equal node:crypto's digest (the checkpoint's) on an odd-length subarray", () => {
    const rng = new Xoshiro128(7)
    const bytes = Uint8Array.from({ length: 100_003 }, () => rng.nextUint32() & 0xff).subarray(3)
    expect(sha256Hex(bytes)).toBe(createHash('sha256').update(bytes).digest('hex'))
  })
})
