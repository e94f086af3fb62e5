/**
 * @module test/edge/png-decode
 * A small, independent PNG and APNG reader for tests (runtime-free: Node, workerd): chunk framing
 * with CRC checks, zlib via fflate, all five scanline filters, 8-bit grey/RGB/RGBA only. APNG
 * frames are read from fcTL + IDAT/fdAT with their shared sequence numbers checked, so a test can
 * compare what a decoder would show with the pixels it expects.
 */
import { unzlibSync } from 'fflate'
import { crc32 } from '../../shared/codec/png'

/** One chunk as stored. */
export interface Chunk {
  type: string
  data: Uint8Array
}

/** A decoded still image. */
export interface DecodedPng {
  width: number
  height: number
  channels: number
  /** Row-major samples, channels interleaved. */
  pixels: Uint8Array
}

/** A decoded animation: every frame as a full image (our encoder only writes full frames). */
export interface DecodedApng {
  width: number
  height: number
  channels: number
  /** acTL: declared frame count and plays (0 = forever). */
  numFrames: number
  numPlays: number
  frames: { pixels: Uint8Array; delayMs: number }[]
  /** The sequence numbers of the fcTL and fdAT chunks, in file order. */
  sequence: number[]
  chunkTypes: string[]
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 6: 4 }

/** The chunks of a PNG; throws on a bad signature, framing or CRC. */
export function readChunks(png: Uint8Array): Chunk[] {
  if (png.length < 8 || SIGNATURE.some((b, i) => png[i] !== b)) {
    throw new Error('Expected a PNG signature, but got other bytes.')
  }
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength)
  const chunks: Chunk[] = []
  let pos = 8
  while (pos < png.length) {
    const length = view.getUint32(pos)
    const end = pos + 8 + length
    if (end + 4 > png.length) throw new Error(`Expected ${length} bytes of chunk data at ${pos}.`)
    const type = String.fromCharCode(...png.subarray(pos + 4, pos + 8))
    if (view.getUint32(end) !== crc32(png, pos + 4, end)) throw new Error(`Bad CRC on ${type}.`)
    chunks.push({ type, data: png.subarray(pos + 8, end) })
    pos = end + 4
  }
  if (chunks.at(-1)?.type !== 'IEND') throw new Error('Expected IEND last.')
  return chunks
}

/** Decodes a still PNG (IHDR + IDAT…); an APNG decodes to its default image. */
export function decodePng(png: Uint8Array): DecodedPng {
  const chunks = readChunks(png)
  const header = readHeader(chunks)
  const idat = concat(chunks.filter((c) => c.type === 'IDAT').map((c) => c.data))
  const pixels = unfilter(unzlibSync(idat), header.width, header.height, header.channels)
  return { ...header, pixels }
}

/** Decodes an APNG whose frames all cover the whole image (what shared/codec/apng writes). */
export function decodeApng(png: Uint8Array): DecodedApng {
  const chunks = readChunks(png)
  const header = readHeader(chunks)
  const actl = chunks.find((c) => c.type === 'acTL')
  if (actl === undefined) throw new Error('Expected an acTL chunk.')
  const numFrames = u32(actl.data, 0)
  const numPlays = u32(actl.data, 4)
  const frames: DecodedApng['frames'] = []
  const sequence: number[] = []
  let current: { delayMs: number; parts: Uint8Array[] } | undefined
  const flush = () => {
    if (current === undefined) return
    const raw = unzlibSync(concat(current.parts))
    frames.push({
      delayMs: current.delayMs,
      pixels: unfilter(raw, header.width, header.height, header.channels),
    })
  }
  for (const chunk of chunks) {
    if (chunk.type === 'fcTL') {
      flush()
      sequence.push(u32(chunk.data, 0))
      const [w, h, x, y] = [4, 8, 12, 16].map((at) => u32(chunk.data, at))
      if (w !== header.width || h !== header.height || x !== 0 || y !== 0) {
        throw new Error(`Expected full-size frames, but got ${w}×${h} at ${x},${y}.`)
      }
      const view = new DataView(chunk.data.buffer, chunk.data.byteOffset)
      const delayMs = (1000 * view.getUint16(20)) / (view.getUint16(22) || 100)
      current = { delayMs, parts: [] }
    } else if (chunk.type === 'IDAT' && current !== undefined) {
      current.parts.push(chunk.data)
    } else if (chunk.type === 'fdAT') {
      if (current === undefined) throw new Error('Expected fcTL before fdAT.')
      sequence.push(u32(chunk.data, 0))
      current.parts.push(chunk.data.subarray(4))
    }
  }
  flush()
  return { ...header, numFrames, numPlays, frames, sequence, chunkTypes: chunks.map((c) => c.type) }
}

function readHeader(chunks: Chunk[]) {
  const ihdr = chunks[0]
  if (ihdr?.type !== 'IHDR' || ihdr.data.length !== 13) throw new Error('Expected IHDR first.')
  const channels = CHANNELS[ihdr.data[9]]
  if (ihdr.data[8] !== 8 || channels === undefined || ihdr.data[12] !== 0) {
    throw new Error('Expected an 8-bit, non-interlaced grey, RGB or RGBA PNG.')
  }
  return { width: u32(ihdr.data, 0), height: u32(ihdr.data, 4), channels }
}

/** Reverses the scanline filters (None, Sub, Up, Average, Paeth) of 8-bit samples. */
function unfilter(raw: Uint8Array, width: number, height: number, bpp: number): Uint8Array {
  const stride = width * bpp
  if (raw.length !== (stride + 1) * height) {
    throw new Error(`Expected ${(stride + 1) * height} filtered bytes, but got ${raw.length}.`)
  }
  const out = new Uint8Array(stride * height)
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x]
      const a = x >= bpp ? out[y * stride + x - bpp] : 0
      const b = y > 0 ? out[(y - 1) * stride + x] : 0
      const c = x >= bpp && y > 0 ? out[(y - 1) * stride + x - bpp] : 0
      const predictor = [0, a, b, (a + b) >> 1, paeth(a, b, c)][filter]
      if (predictor === undefined) throw new Error(`Unknown filter type ${filter}.`)
      out[y * stride + x] = (v + predictor) & 0xff
    }
  }
  return out
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c
  const pa = Math.abs(p - a)
  const pb = Math.abs(p - b)
  const pc = Math.abs(p - c)
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c
}

function u32(bytes: Uint8Array, at: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(at)
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}
