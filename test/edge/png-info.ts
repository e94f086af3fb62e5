/**
 * @module test/edge/png-info
 * Just enough PNG parsing to assert what the image routes promise: a PNG signature, then an IHDR
 * chunk with the size, 8-bit depth and colour type (0 = greyscale).
 */

/** The IHDR fields a test checks. */
export interface PngInfo {
  width: number
  height: number
  bitDepth: number
  colorType: number
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

/** Reads the IHDR of a PNG; throws if the bytes do not start like one. */
export function pngInfo(bytes: Uint8Array): PngInfo {
  if (bytes.length < 33 || SIGNATURE.some((b, i) => bytes[i] !== b)) {
    throw new Error(`Expected a PNG signature, but got ${bytes.length} other bytes.`)
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const type = String.fromCharCode(...bytes.subarray(12, 16))
  if (type !== 'IHDR') throw new Error(`Expected the IHDR chunk first, but got ${type}.`)
  return {
    width: view.getUint32(16),
    height: view.getUint32(20),
    bitDepth: bytes[24],
    colorType: bytes[25],
  }
}
