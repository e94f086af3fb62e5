/**
 * @module test/trainer/export/artifact
 * The artifact folder on disk: round trip, atomic layout, and one clear error per broken input;
 * eval results recorded into a folder and into a single-file model.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tutorialMlp } from '../../../shared/model/presets'
import { sha256Hex } from '../../../shared/codec/sha256'
import { decodeModelFile } from '../../../shared/model/model-file'
import {
  ArtifactError,
  readArtifact,
  recordEval,
  recordModelFileEval,
  writeArtifact,
  writeModelFile,
} from '../../../trainer/export/artifact'
import { randomTensors } from '../../shared/helpers'

describe('trainer/export/artifact', () => {
  const model = tutorialMlp()
  const tensors = randomTensors(model.generator, 7)
  let dir: string

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'artifact-'))
  })
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  it('should round-trip f32 tensors exactly', () => {
    const art = join(dir, 'gen')
    const manifest = writeArtifact(art, { model, tensors, dtype: 'f32', training: { steps: 3 } })
    expect(readdirSync(art).sort()).toEqual(['manifest.json', 'weights.bin'])
    const decoded = readArtifact(art)
    expect(decoded.manifest).toEqual(manifest)
    expect(decoded.manifest.training).toEqual({ steps: 3 })
    for (const [name, values] of tensors) {
      expect(sameBytes(decoded.tensors.get(name)!, values), name).toBe(true)
    }
    const payload = new Uint8Array(readFileSync(join(art, 'weights.bin')))
    expect(sha256Hex(payload)).toBe(manifest.payload.sha256)
  })

  it('should validate before writing anything', () => {
    const art = join(dir, 'gen')
    const partial = new Map(tensors)
    partial.delete('g.bn2.movingVariance')
    expect(() => writeArtifact(art, { model, tensors: partial, dtype: 'f32' })).toThrow()
    expect(existsSync(art)).toBe(false)
  })

  it('should keep an existing artifact when the new one is invalid', () => {
    writeArtifact(dir, { model, tensors, dtype: 'f32' })
    const before = readFileSync(join(dir, 'manifest.json'), 'utf8')
    const bad = new Map(tensors).set('g.dense0.bias', new Float32Array(3))
    expect(() => writeArtifact(dir, { model, tensors: bad, dtype: 'f32' })).toThrow()
    expect(readFileSync(join(dir, 'manifest.json'), 'utf8')).toBe(before)
    expect(() => readArtifact(dir)).not.toThrow()
  })

  it('should refuse a target that is a file', () => {
    const file = join(dir, 'file')
    writeFileSync(file, 'x')
    expect(() => writeArtifact(file, { model, tensors, dtype: 'f32' })).toThrow(ArtifactError)
  })

  it('should name a missing folder, manifest or payload', () => {
    const missing = join(dir, 'nope')
    expect(() => readArtifact(missing)).toThrow(`${missing}, but it does not exist`)
    expect(() => readArtifact(dir)).toThrow(`${join(dir, 'manifest.json')}, but it is missing`)
    writeArtifact(dir, { model, tensors, dtype: 'f32' })
    rmSync(join(dir, 'weights.bin'))
    expect(() => readArtifact(dir)).toThrow(`${join(dir, 'weights.bin')}, but it is missing`)
  })

  it('should name the manifest when its JSON is invalid', () => {
    writeArtifact(dir, { model, tensors, dtype: 'f32' })
    writeFileSync(join(dir, 'manifest.json'), '{"format": ')
    const err = catchError(() => readArtifact(dir))
    expect(err).toBeInstanceOf(ArtifactError)
    expect(err.message).toContain(`valid JSON in ${join(dir, 'manifest.json')}`)
    expect(err.message).not.toContain('\n')
  })

  it('should name the artifact when the payload is corrupt', () => {
    writeArtifact(dir, { model, tensors, dtype: 'f32' })
    const payload = readFileSync(join(dir, 'weights.bin'))
    payload[100] ^= 0xff
    writeFileSync(join(dir, 'weights.bin'), payload)
    const err = catchError(() => readArtifact(dir))
    expect(err).toBeInstanceOf(ArtifactError)
    expect(err.message).toContain(join(dir, 'manifest.json'))
    expect((err.cause as Error).name).toBe('WeightFormatError')
  })

  it('should record eval results without touching the payload', () => {
    const manifest = writeArtifact(dir, { model, tensors, dtype: 'q8', training: { steps: 9 } })
    const payload = readFileSync(join(dir, 'weights.bin'))
    const result = { fid: 3.25, inceptionScore: 8.9, classes: [0.1, 0.1] }
    const updated = recordEval(dir, result)
    expect(updated.eval).toEqual(result)
    expect(updated.payload.sha256).toBe(manifest.payload.sha256)
    expect(sameBytes(readFileSync(join(dir, 'weights.bin')), payload)).toBe(true)
    const decoded = readArtifact(dir)
    expect(decoded.manifest.eval).toEqual(result)
    expect(decoded.manifest.training).toEqual({ steps: 9 })
    expect(readdirSync(dir).sort()).toEqual(['manifest.json', 'weights.bin'])
  })

  it('should refuse to record eval into a corrupt artifact', () => {
    writeArtifact(dir, { model, tensors, dtype: 'f32' })
    const payload = readFileSync(join(dir, 'weights.bin'))
    payload[0] ^= 1
    writeFileSync(join(dir, 'weights.bin'), payload)
    const before = readFileSync(join(dir, 'manifest.json'), 'utf8')
    expect(() => recordEval(dir, { fid: 1 })).toThrow(ArtifactError)
    expect(readFileSync(join(dir, 'manifest.json'), 'utf8')).toBe(before)
  })

  it('should record eval in a .dgm around the same payload, replacing an earlier one', () => {
    const art = join(dir, 'gen')
    const manifest = writeArtifact(art, { model, tensors, dtype: 'q8', eval: { fid: 99 } })
    const file = join(dir, 'gen.dgm')
    writeModelFile(art, file)
    const result = { fid: 3.25, inceptionScore: 8.9 }
    const updated = recordModelFileEval(file, result)
    expect(updated.eval).toEqual(result)
    const decoded = decodeModelFile(readFileSync(file))
    expect(decoded.manifest).toEqual(updated)
    expect(decoded.manifest.payload).toEqual(manifest.payload)
    expect(decoded.manifest.payload.sha256).toBe(sha256Hex(readFileSync(join(art, 'weights.bin'))))
    expect(readdirSync(dir).sort()).toEqual(['gen', 'gen.dgm'])
  })

  it('should refuse to record eval into a corrupt or missing .dgm, leaving it as it was', () => {
    writeArtifact(dir, { model, tensors, dtype: 'f32' })
    const file = join(dir, 'gen.dgm')
    writeModelFile(dir, file)
    const bytes = readFileSync(file)
    bytes[bytes.length - 1] ^= 1
    writeFileSync(file, bytes)
    const corrupt = catchError(() => recordModelFileEval(file, { fid: 1 }))
    expect(corrupt).toBeInstanceOf(ArtifactError)
    expect(corrupt.message).toMatch(/gen\.dgm: Expected the payload's sha256/)
    expect(readFileSync(file).equals(bytes)).toBe(true)
    writeFileSync(file, 'not a model')
    expect(() => recordModelFileEval(file, { fid: 1 })).toThrow(/Invalid model file .*gen\.dgm/)
    const missing = join(dir, 'missing.dgm')
    expect(() => recordModelFileEval(missing, { fid: 1 })).toThrow(`${missing}, but it is missing`)
  })
})

/** Bitwise equality; vitest's deep equality walks large typed arrays element by element. */
function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  const bytes = (v: ArrayBufferView) => Buffer.from(v.buffer, v.byteOffset, v.byteLength)
  return bytes(a).equals(bytes(b))
}

function catchError(fn: () => unknown): Error {
  try {
    fn()
  } catch (err) {
    return err as Error
  }
  throw new Error('Expected the call to throw, but it returned.')
}
