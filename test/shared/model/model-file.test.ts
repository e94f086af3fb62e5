/**
 * @module test/shared/model/model-file
 * The single-file model: it carries the manifest and the payload unchanged (the same decoded
 * model as the folder), and a file that is not one, is cut short or was tampered with fails with
 * a WeightFormatError naming the problem.
 */
import { describe, expect, it } from 'vitest'
import {
  decodeModelFile,
  isModelFile,
  MODEL_FILE_MAGIC,
  packModelFile,
  splitModelFile,
} from '../../../shared/model/model-file'
import { decodeWeights, encodeWeights, WeightFormatError } from '../../../shared/model/weights'
import { randomTensors, smallSpec } from '../helpers'

const model = smallSpec()
const { manifest, payload } = encodeWeights(model, randomTensors(model.generator, 5), {
  dtype: 'q14',
  compress: true,
  training: { note: 'non-ASCII survives: ½ → ✓' },
})
const file = packModelFile(manifest, payload)

function expectFormatError(bytes: Uint8Array, message: string): void {
  expect(() => decodeModelFile(bytes)).toThrow(WeightFormatError)
  expect(() => decodeModelFile(bytes)).toThrow(message)
}

describe('packModelFile / decodeModelFile', () => {
  it('should hold the manifest JSON and the payload byte for byte after the header', () => {
    expect([...file.subarray(0, 8)]).toEqual(MODEL_FILE_MAGIC)
    const length = new DataView(file.buffer).getUint32(8, true)
    const json = new TextDecoder().decode(file.subarray(12, 12 + length))
    expect(json).toBe(JSON.stringify(manifest))
    expect(file.subarray(12 + length)).toEqual(payload)
    expect(isModelFile(file)).toBe(true)
    expect(isModelFile(payload)).toBe(false)
  })

  it('should decode to exactly what the manifest and payload decode to', () => {
    const fromFile = decodeModelFile(file)
    const fromFolder = decodeWeights(JSON.parse(JSON.stringify(manifest)), payload)
    expect(fromFile.manifest).toEqual(fromFolder.manifest)
    expect(fromFile.tensors).toEqual(fromFolder.tensors)
    expect(fromFile.integers).toEqual(fromFolder.integers)
    expect(splitModelFile(file).payload).toEqual(payload)
  })

  it('should read a file that sits at an odd offset of a larger buffer', () => {
    const shifted = new Uint8Array(file.length + 3)
    shifted.set(file, 3)
    expect(decodeModelFile(shifted.subarray(3)).manifest.payload.sha256).toBe(
      manifest.payload.sha256,
    )
  })

  it('should reject a file without the magic, naming what it starts with', () => {
    expectFormatError(payload, 'Expected a single-file model, starting 89 44 47 4d')
    expectFormatError(new Uint8Array(), 'but got an empty file.')
    expectFormatError(new TextEncoder().encode('{"format":'), 'but got 7b 22 66 6f')
  })

  it('should reject a file cut short in the header, the manifest or the payload', () => {
    expectFormatError(file.subarray(0, 10), 'Expected at least 12 bytes, but got 10.')
    expectFormatError(file.subarray(0, 40), 'after the 12-byte header, but got a file of 40 bytes')
    expectFormatError(file.subarray(0, file.length - 1), 'manifest.payload.byteLength')
  })

  it('should reject a manifest that is not JSON and a payload that does not match', () => {
    const bad = file.slice()
    bad[12] = 0x21 // '!' where the JSON's '{' was
    expectFormatError(bad, 'Expected the manifest to be JSON')
    const flipped = file.slice()
    flipped[flipped.length - 1] ^= 1
    expectFormatError(flipped, "Expected the payload's sha256")
  })
})
