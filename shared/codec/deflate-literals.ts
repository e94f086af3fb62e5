/**
 * @module shared/codec/deflate-literals
 * A literals-only ("Huffman-only") raw deflate encoder (RFC 1951): each block of the input gets its
 * own dynamic Huffman code over byte values and no back-references. Any inflater (fflate, zlib)
 * decodes it.
 *
 * Why not fflate's `deflateSync`: on the byte planes of quantized weights, which are nearly random
 * bytes of a skewed distribution, its LZ77 stage finds many short matches that cost more bits than
 * the literals they replace (the high-byte plane of the shipped model's q14 kernels: 314 KiB at
 * level 9 against 286 KiB literals-only, below even the plane's 294 KiB order-0 entropy because
 * each block gets its own code). zlib's `Z_HUFFMAN_ONLY` strategy does the same, but Node's zlib
 * is not runtime-free, and its output could change with the zlib version; this one is
 * deterministic everywhere by construction.
 */
import { BitWriter, canonicalCodes, MAX_BITS } from './deflate-bits'

/** Literal/length alphabet used here: bytes 0..255 and end-of-block (256). */
const SYMBOLS = 257
const END_OF_BLOCK = 256
/** Order in which the code-length code's lengths are sent (RFC 1951 §3.2.7). */
const CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
/**
 * Header bits per block: BFINAL, BTYPE, HLIT, HDIST, HCLEN, 19 code-length-code lengths of 3 bits,
 * then 257 literal/length and 1 distance code lengths of 4 bits each (see `writeBlock`).
 */
const HEADER_BITS = 3 + 5 + 5 + 4 + 19 * 3 + (SYMBOLS + 1) * 4

/**
 * Raw deflate of `data` with literal codes only, one dynamic block per `blockSize` input bytes.
 *
 * @example
 * inflateSync(deflateLiterals(bytes)) // equals bytes (fflate or node:zlib inflateRawSync)
 */
export function deflateLiterals(data: Uint8Array, blockSize = 1 << 16): Uint8Array<ArrayBuffer> {
  if (!Number.isInteger(blockSize) || blockSize < 1) {
    throw new RangeError(`Expected blockSize to be a positive integer, but got ${blockSize}.`)
  }
  const blocks: { start: number; end: number; lengths: Uint8Array; bits: number }[] = []
  let totalBits = 0
  for (let start = 0; start < data.length || blocks.length === 0; start += blockSize) {
    const end = Math.min(data.length, start + blockSize)
    const freq = new Float64Array(SYMBOLS)
    for (let i = start; i < end; i++) freq[data[i]]++
    freq[END_OF_BLOCK] = 1
    const lengths = codeLengths(freq)
    let bits = HEADER_BITS
    for (let s = 0; s < SYMBOLS; s++) bits += freq[s] * lengths[s]
    blocks.push({ start, end, lengths, bits })
    totalBits += bits
  }
  const out = new BitWriter(Math.ceil(totalBits / 8))
  blocks.forEach((block, i) => writeBlock(out, data, block, i === blocks.length - 1))
  return out.bytes
}

/** One dynamic-Huffman block: header, code lengths, the literals, end-of-block. */
function writeBlock(
  out: BitWriter,
  data: Uint8Array,
  block: { start: number; end: number; lengths: Uint8Array },
  final: boolean,
): void {
  out.write(final ? 1 : 0, 1) // BFINAL
  out.write(2, 2) // BTYPE 10: dynamic Huffman codes
  out.write(SYMBOLS - 257, 5) // HLIT: 257 literal/length codes
  out.write(0, 5) // HDIST: 1 distance code
  out.write(19 - 4, 4) // HCLEN: all 19 code-length codes
  // Code-length code: symbols 0..15 (literal lengths) get 4 bits each, a complete code, so
  // symbol k is sent as k in 4 bits; 16..18 (repeats) are unused.
  for (const symbol of CL_ORDER) out.write(symbol < 16 ? 4 : 0, 3)
  const clCodes = canonicalCodes(Uint8Array.from({ length: 19 }, (_, s) => (s < 16 ? 4 : 0)))
  for (let s = 0; s < SYMBOLS; s++) out.write(clCodes[block.lengths[s]], 4)
  // One distance code of one bit, never used: RFC 1951 §3.2.7 allows it for literal-only data.
  out.write(clCodes[1], 4)
  const codes = canonicalCodes(block.lengths)
  const { lengths } = block
  for (let i = block.start; i < block.end; i++) out.write(codes[data[i]], lengths[data[i]])
  out.write(codes[END_OF_BLOCK], lengths[END_OF_BLOCK])
}

/**
 * Huffman code lengths of at most 15 bits for the symbols with a non-zero count (at least two of
 * them). Ties break by symbol, so the result depends only on `freq`. Where the optimal code would
 * be longer than 15 bits, counts are halved (staying non-zero) until it is not: this flattens the
 * rarest symbols' codes at a negligible cost.
 */
export function codeLengths(freq: Float64Array): Uint8Array {
  const counts = Float64Array.from(freq)
  let used = 0
  for (const c of counts) if (c > 0) used++
  if (used < 2) counts[counts[0] > 0 ? 1 : 0] = 1 // a code needs two symbols
  for (;;) {
    const lengths = huffmanLengths(counts)
    if (Math.max(...lengths) <= MAX_BITS) return lengths
    for (let s = 0; s < counts.length; s++) if (counts[s] > 0) counts[s] = Math.ceil(counts[s] / 2)
  }
}

/** Unlimited Huffman code lengths by repeatedly merging the two lightest nodes. */
function huffmanLengths(counts: Float64Array): Uint8Array {
  // Leaves sorted by (count, symbol); internal nodes come out of merging in non-decreasing weight,
  // so two sorted queues replace a heap.
  const leaves = [...counts.keys()]
    .filter((s) => counts[s] > 0)
    .sort((a, b) => counts[a] - counts[b] || a - b)
  const weight: number[] = leaves.map((s) => counts[s])
  const parent: number[] = leaves.map(() => -1)
  const merged: number[] = []
  let leaf = 0
  let next = 0
  const lightest = () =>
    next < merged.length && (leaf >= leaves.length || weight[merged[next]] < weight[leaf])
      ? merged[next++]
      : leaf++
  for (let k = 1; k < leaves.length; k++) {
    const a = lightest()
    const b = lightest()
    const node = weight.length
    weight.push(weight[a] + weight[b])
    parent.push(-1)
    parent[a] = node
    parent[b] = node
    merged.push(node)
  }
  // Depth of each node, root (the last node) at 0, computed from the root down.
  const depth = new Array<number>(weight.length).fill(0)
  for (let node = weight.length - 2; node >= 0; node--) depth[node] = depth[parent[node]] + 1
  const lengths = new Uint8Array(counts.length)
  leaves.forEach((s, i) => (lengths[s] = depth[i]))
  return lengths
}
