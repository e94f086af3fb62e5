/**
 * @module shared/codec/deflate-image
 * The zlib stream (RFC 1950) of an image's PNG scanlines (filter type 0), upscaled by nearest
 * neighbour on the fly, as one fixed-Huffman deflate block (RFC 1951 §3.2.6) whose only
 * back-references are the two repetitions these images are made of: a run of one pixel value
 * within a row (a copy at a distance of one pixel) and a row equal to the row above (a copy at a
 * distance of one scanline). The Adler-32 is summed run by run and row by row, never byte by byte.
 *
 * Why not fflate's deflate (used before): it hashes and checksums every byte of the upscaled
 * image, so its cost grows with the scale: about 5 ms for one digit at `scale=16` and 290 ms for
 * `/grid?n=64&scale=16` (1792×1792 px), far past a free-plan request's 10 ms of CPU. Here the
 * work follows the runs of the image before upscaling, whatever the scale, and the output is a
 * function of the pixels alone (no hashing heuristics), so it is deterministic by construction.
 * The price is compression: no matches other than those two, and the fixed Huffman code.
 */
import { BitWriter, canonicalCodes } from './deflate-bits'

const ADLER_MOD = 65521
/** Longest and shortest deflate match, and its farthest distance. */
const MAX_MATCH = 258
const MIN_MATCH = 3
const MAX_DISTANCE = 32768

/** The fixed literal/length code (RFC 1951 §3.2.6): 288 symbols of 7 to 9 bits. */
const LIT_LENGTHS = Uint8Array.from({ length: 288 }, (_, s) =>
  s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8,
)
const LIT_CODES = canonicalCodes(LIT_LENGTHS)
/** The fixed distance code: 30 symbols of 5 bits. */
const DIST_CODES = canonicalCodes(new Uint8Array(30).fill(5))
const END_OF_BLOCK = 256

// Match lengths 3..258 (symbols 257..285) and distances 1..32768 (symbols 0..29): the base of
// each symbol and its count of extra bits (RFC 1951 §3.2.5).
// prettier-ignore
const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67,
  83, 99, 115, 131, 163, 195, 227, 258]
// prettier-ignore
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5,
  5, 5, 0]
// prettier-ignore
const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769,
  1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
// prettier-ignore
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11,
  11, 12, 12, 13, 13]

/** The length symbol index (0..28) of every match length 3..258. */
const LENGTH_INDEX = (() => {
  const table = new Uint8Array(MAX_MATCH + 1)
  for (let c = 0; c < LENGTH_BASE.length; c++) {
    const end = c + 1 < LENGTH_BASE.length ? LENGTH_BASE[c + 1] : MAX_MATCH + 1
    for (let len = LENGTH_BASE[c]; len < end; len++) table[len] = c
  }
  return table
})()

/** Deflate tokens and the running Adler-32 of the bytes they stand for. */
class Encoder {
  readonly out: BitWriter
  /** Adler-32 sums, each below ADLER_MOD. */
  private s1 = 1
  private s2 = 0
  /** Sums of the row being emitted, as if it started a stream from (0, 0). */
  private r1 = 0
  private r2 = 0

  constructor(sizeHint: number) {
    this.out = new BitWriter(sizeHint)
    this.out.write(0x78, 8) // zlib header: deflate, 32 KiB window…
    this.out.write(0x01, 8) // …no dictionary (0x7801 is a multiple of 31)
    this.out.write(1, 1) // BFINAL: the only block
    this.out.write(1, 2) // BTYPE 01: fixed Huffman codes
  }

  /** Starts a new row's sums. */
  startRow(): void {
    this.r1 = 0
    this.r2 = 0
  }

  /** One literal byte of the current row. */
  literal(v: number): void {
    this.out.write(LIT_CODES[v], LIT_LENGTHS[v])
    this.r1 += v
    this.r2 += this.r1
    if (this.r2 >= 1 << 30) this.reduceRow()
  }

  /**
   * `count` more repetitions of the `n` bytes `bytes[at, at + n)` just written, as matches at
   * distance `n`, or literals when fewer than 3 bytes.
   */
  repeat(bytes: Uint8Array, at: number, n: number, count: number): void {
    const total = n * count
    if (total === 0) return
    if (total < MIN_MATCH) {
      for (let i = 0; i < count; i++) for (let b = at; b < at + n; b++) this.literal(bytes[b])
      return
    }
    this.copy(total, n)
    if (n === 1) {
      // k equal bytes v: s1 += k·v, s2 += k·s1 + v·k(k+1)/2, every product below 2^53
      this.reduceRow()
      const v = bytes[at]
      const k = count % ADLER_MOD
      const triangle = count % 2 === 0
        ? ((count / 2) % ADLER_MOD) * ((count + 1) % ADLER_MOD)
        : k * (((count + 1) / 2) % ADLER_MOD)
      this.r2 = (this.r2 + k * this.r1 + v * (triangle % ADLER_MOD)) % ADLER_MOD
      this.r1 = (this.r1 + k * v) % ADLER_MOD
    } else {
      for (let i = 0; i < count; i++) {
        for (let b = at; b < at + n; b++) {
          this.r1 += bytes[b]
          this.r2 += this.r1
        }
        if (this.r2 >= 1 << 30) this.reduceRow()
      }
    }
  }

  /** Ends the current row (`length` bytes, filter byte included): adds its sums to the stream's. */
  endRow(length: number): void {
    this.reduceRow()
    this.addRow(length)
  }

  /** `times` more copies of the row just ended (`length` bytes), as matches one row back. */
  repeatRow(length: number, times: number): void {
    this.copy(length * times, length)
    for (let i = 0; i < times; i++) this.addRow(length)
  }

  /** The zlib stream: end-of-block, padding, Adler-32 (big-endian). */
  finish(): Uint8Array<ArrayBuffer> {
    this.out.write(LIT_CODES[END_OF_BLOCK], LIT_LENGTHS[END_OF_BLOCK])
    this.out.alignToByte()
    this.out.writeBytes([this.s2 >>> 8, this.s2 & 0xff, this.s1 >>> 8, this.s1 & 0xff])
    return this.out.bytes
  }

  /** Matches at `distance` covering `total` ≥ 3 bytes, each 3..258 long. */
  private copy(total: number, distance: number): void {
    let d = 0
    while (DIST_BASE[d + 1] <= distance) d++
    while (total > 0) {
      // never leave a tail of 1 or 2 bytes, which no match can cover
      let len = Math.min(total, MAX_MATCH)
      if (total - len > 0 && total - len < MIN_MATCH) len = total - MIN_MATCH
      const c = LENGTH_INDEX[len]
      this.out.write(LIT_CODES[257 + c], LIT_LENGTHS[257 + c])
      if (LENGTH_EXTRA[c] > 0) this.out.write(len - LENGTH_BASE[c], LENGTH_EXTRA[c])
      this.out.write(DIST_CODES[d], 5)
      if (DIST_EXTRA[d] > 0) this.out.write(distance - DIST_BASE[d], DIST_EXTRA[d])
      total -= len
    }
  }

  /** Appending a row with sums (r1, r2) and `length` bytes: s2 += length·s1 + r2, s1 += r1. */
  private addRow(length: number): void {
    this.s2 = (this.s2 + ((length % ADLER_MOD) * this.s1) + this.r2) % ADLER_MOD
    this.s1 = (this.s1 + this.r1) % ADLER_MOD
  }

  private reduceRow(): void {
    this.r1 %= ADLER_MOD
    this.r2 %= ADLER_MOD
  }

}

/**
 * The zlib stream of the scanlines of `pixels` (`width × height`, `channels` bytes per pixel)
 * upscaled `scale`× by nearest neighbour: `(width·scale·channels + 1)·height·scale` bytes
 * inflated, every row with filter byte 0. The caller validates the sizes.
 *
 * @example
 * inflate(zlibImage(gray, 28, 28, 1, 4)) // the scanlines of the 112 × 112 upscaled digit
 */
export function zlibImage(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: number,
  scale: number,
): Uint8Array<ArrayBuffer> {
  const stride = width * channels
  const rowLength = stride * scale + 1 // one output scanline, filter byte included
  // A row-back copy needs the row within deflate's window (and at least one match's length).
  const rowCopies = rowLength <= MAX_DISTANCE && rowLength >= MIN_MATCH
  const encoder = new Encoder(64 + (stride + 1) * height)
  for (let y = 0; y < height; y++) {
    const row = pixels.subarray(y * stride, (y + 1) * stride)
    if (rowCopies && y > 0 && equalBytes(pixels, (y - 1) * stride, y * stride, stride)) {
      encoder.repeatRow(rowLength, scale) // the whole group equals the row above
      continue
    }
    // Too wide for row copies (over 32 KiB per scanline): every row as literals and runs.
    const written = rowCopies ? 1 : scale
    for (let k = 0; k < written; k++) writeRow(encoder, row, width, channels, scale, rowLength)
    if (written < scale) encoder.repeatRow(rowLength, scale - written)
  }
  return encoder.finish()
}

/** One output scanline of `row` upscaled: filter byte, then each run of equal pixels. */
function writeRow(
  encoder: Encoder,
  row: Uint8Array,
  width: number,
  channels: number,
  scale: number,
  rowLength: number,
): void {
  encoder.startRow()
  encoder.literal(0) // filter type None
  for (let x = 0; x < width; ) {
    const at = x * channels
    let run = 1
    while (x + run < width && equalBytes(row, at, (x + run) * channels, channels)) run++
    for (let b = at; b < at + channels; b++) encoder.literal(row[b])
    encoder.repeat(row, at, channels, run * scale - 1)
    x += run
  }
  encoder.endRow(rowLength)
}

/** Whether `bytes[a, a + n)` equals `bytes[b, b + n)`. */
function equalBytes(bytes: Uint8Array, a: number, b: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (bytes[a + i] !== bytes[b + i]) return false
  return true
}
