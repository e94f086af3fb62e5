/**
 * @module shared/codec/zlib-stored
 * zlib streams (RFC 1950) of stored, uncompressed deflate blocks (RFC 1951 §3.2.4), and Adler-32.
 * `shared/codec/png` uses them for small images, where compressing costs far more time than it saves
 * bytes. Written here (a few dozen lines) rather than taken from fflate, whose level 0 goes through
 * the same per-call setup as real compression, and which does not export Adler-32. For the sizes
 * that `shared/codec/png` stores, the output equals zlib's level 0 byte for byte (tested).
 */

/** Largest stored deflate block: LEN is a 16-bit field. */
const STORED_BLOCK_MAX = 0xffff
/**
 * Adler-32 modulus, and zlib's NMAX: the most bytes summed before reducing keeps s1 and s2 below
 * 2^32, so they stay small integers for the JIT.
 */
const ADLER_MOD = 65521
const ADLER_RUN = 5552

/**
 * A zlib stream (RFC 1950) holding `bytes` in stored deflate blocks (RFC 1951 §3.2.4, BTYPE 00) of
 * at most 65 535 bytes: header 78 01, per block a header byte (BFINAL on the last) then LEN and
 * NLEN little-endian and the bytes, then the Adler-32 of `bytes`, big-endian.
 *
 * @example
 * unzlibSync(zlibStored(raw)) // equals raw
 */
export function zlibStored(bytes: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(bytes.length / STORED_BLOCK_MAX))
  const out = new Uint8Array(2 + 5 * blocks + bytes.length + 4)
  out[0] = 0x78 // CM 8 (deflate), CINFO 7 (32 KiB window)
  out[1] = 0x01 // FLEVEL 0 (fastest), no dictionary; 0x7801 is a multiple of 31 (FCHECK)
  let pos = 2
  for (let b = 0; b < blocks; b++) {
    const start = b * STORED_BLOCK_MAX
    const len = Math.min(STORED_BLOCK_MAX, bytes.length - start)
    storedBlockHeader(out, pos, len, b === blocks - 1)
    out.set(bytes.subarray(start, start + len), pos + 5)
    pos += 5 + len
  }
  new DataView(out.buffer).setUint32(pos, adler32(bytes))
  return out
}

/** The 5 bytes before a stored block's data: BFINAL and BTYPE 00 (padded), LEN, NLEN. */
export function storedBlockHeader(out: Uint8Array, pos: number, len: number, final: boolean): void {
  out[pos] = final ? 1 : 0
  out[pos + 1] = len & 0xff
  out[pos + 2] = len >>> 8
  out[pos + 3] = ~len & 0xff
  out[pos + 4] = (~len >>> 8) & 0xff
}

/**
 * Adler-32 of `bytes[start, end)` (RFC 1950 §8.2), the checksum that ends a zlib stream.
 *
 * @example
 * adler32(new TextEncoder().encode('Wikipedia')) // 0x11E60398
 */
export function adler32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let s1 = 1
  let s2 = 0
  for (let run = start; run < end; run += ADLER_RUN) {
    const stop = Math.min(end, run + ADLER_RUN)
    for (let i = run; i < stop; i++) {
      s1 += bytes[i]
      s2 += s1
    }
    s1 %= ADLER_MOD
    s2 %= ADLER_MOD
  }
  return ((s2 << 16) | s1) >>> 0
}
