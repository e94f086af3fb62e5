/**
 * @module shared/codec/deflate-bits
 * The bit-level pieces of a deflate encoder (RFC 1951) that `shared/codec/deflate-literals` and
 * `shared/codec/deflate-image` share: a little-endian bit writer and canonical Huffman codes.
 */

/** Longest code length deflate allows. */
export const MAX_BITS = 15

/**
 * Canonical Huffman codes (RFC 1951 §3.2.2) for code `lengths` (0: unused symbol), bit-reversed
 * for the LSB-first bit writer.
 */
export function canonicalCodes(lengths: ArrayLike<number>): Uint16Array {
  const count = new Uint16Array(MAX_BITS + 1)
  for (let s = 0; s < lengths.length; s++) if (lengths[s] > 0) count[lengths[s]]++
  const next = new Uint16Array(MAX_BITS + 2)
  for (let bits = 1, code = 0; bits <= MAX_BITS; bits++) {
    code = (code + count[bits - 1]) << 1
    next[bits] = code
  }
  const codes = new Uint16Array(lengths.length)
  for (let s = 0; s < lengths.length; s++) {
    const len = lengths[s]
    if (len === 0) continue
    let code = next[len]++
    let reversed = 0
    for (let b = 0; b < len; b++, code >>>= 1) reversed = (reversed << 1) | (code & 1)
    codes[s] = reversed
  }
  return codes
}

/**
 * Packs bit fields least-significant bit first, as deflate does, into a buffer that grows as
 * needed (a caller that knows the size passes it and the buffer never moves).
 */
export class BitWriter {
  private buf: Uint8Array<ArrayBuffer>
  private pos = 0
  private buffer = 0
  private filled = 0

  constructor(byteLength: number) {
    this.buf = new Uint8Array(Math.max(1, byteLength))
  }

  /** Appends the low `bits` bits of `value` (bits ≤ 24). */
  write(value: number, bits: number): void {
    this.buffer |= value << this.filled
    this.filled += bits
    while (this.filled >= 8) {
      if (this.pos === this.buf.length) this.grow()
      this.buf[this.pos++] = this.buffer & 0xff
      this.buffer >>>= 8
      this.filled -= 8
    }
  }

  /** Appends whole bytes; the bit stream must be at a byte boundary (after `alignToByte`). */
  writeBytes(bytes: ArrayLike<number>): void {
    while (this.pos + bytes.length > this.buf.length) this.grow()
    for (let i = 0; i < bytes.length; i++) this.buf[this.pos++] = bytes[i]
  }

  /** Pads the last partial byte with zero bits. */
  alignToByte(): void {
    if (this.filled > 0) this.write(0, 8 - this.filled)
  }

  /** The bytes written, the last one zero-padded; a view while the size was known up front. */
  get bytes(): Uint8Array<ArrayBuffer> {
    if (this.filled > 0 && this.pos === this.buf.length) this.grow()
    const length = this.pos + (this.filled > 0 ? 1 : 0)
    if (this.filled > 0) this.buf[this.pos] = this.buffer & 0xff
    return length === this.buf.length ? this.buf : this.buf.slice(0, length)
  }

  private grow(): void {
    const bigger = new Uint8Array(this.buf.length * 2)
    bigger.set(this.buf)
    this.buf = bigger
  }
}
