/**
 * @module trainer/export/protobuf
 * A minimal protocol-buffers writer: just the wire types an ONNX model needs (varint, 32-bit,
 * length-delimited). Hand-written rather than taken from the registry because `onnx-proto` (the
 * protobufjs-generated ONNX schema) pulls in protobufjs 6 next to the protobufjs 7 that
 * onnxruntime-web already brings, for the sake of encoding six message types; the encoding rules
 * themselves fit on a page (https://protobuf.dev/programming-guides/encoding/).
 */

const WIRE_VARINT = 0
const WIRE_LEN = 2
const WIRE_FIXED32 = 5

/**
 * Builds one message. Fields are written in call order; nested messages are built with their own
 * writer and added with `message()`.
 * @example new ProtoWriter().string(1, 'z').message(2, new ProtoWriter().int(1, 1)).finish()
 */
export class ProtoWriter {
  private buf = new Uint8Array(256)
  private len = 0

  /** Encoded bytes so far. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len)
  }

  /** An int32/int64/enum/bool field as a varint; negatives as 64-bit two's complement. */
  int(field: number, value: number | bigint): this {
    this.tag(field, WIRE_VARINT)
    this.varint(value)
    return this
  }

  /** A `float` field (fixed 32-bit, little-endian). */
  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32)
    this.reserve(4)
    new DataView(this.buf.buffer).setFloat32(this.len, value, true)
    this.len += 4
    return this
  }

  /** A `string` field, UTF-8. */
  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value))
  }

  /** A `bytes` field. */
  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LEN)
    this.varint(value.length)
    this.raw(value)
    return this
  }

  /** An embedded message field. */
  message(field: number, value: ProtoWriter): this {
    return this.bytes(field, value.finish())
  }

  /** A packed `repeated int64` field. */
  packedInts(field: number, values: readonly number[]): this {
    const inner = new ProtoWriter()
    for (const v of values) inner.varint(v)
    return this.bytes(field, inner.finish())
  }

  private tag(field: number, wire: number): void {
    if (!Number.isInteger(field) || field < 1 || field > 0x1fffffff) {
      throw new RangeError(`Expected a protobuf field number in 1..2^29-1, but got ${field}.`)
    }
    this.varint(field * 8 + wire)
  }

  private varint(value: number | bigint): void {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) {
      throw new RangeError(`Expected a safe integer, but got ${value}.`)
    }
    // Negative int64 values are encoded as their unsigned 64-bit two's complement (10 bytes).
    let v = BigInt.asUintN(64, BigInt(value))
    this.reserve(10)
    while (v >= 0x80n) {
      this.buf[this.len++] = Number(v & 0x7fn) | 0x80
      v >>= 7n
    }
    this.buf[this.len++] = Number(v)
  }

  private raw(bytes: Uint8Array): void {
    this.reserve(bytes.length)
    this.buf.set(bytes, this.len)
    this.len += bytes.length
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.len + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.len))
    this.buf = next
  }
}
