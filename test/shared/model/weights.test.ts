import { describe, expect, it } from 'vitest'
import { tensorSpecs } from '../../../shared/model/spec'
import { tutorialMlp } from '../../../shared/model/presets'
import {
  decodeWeights,
  encodeWeights,
  WeightFormatError,
  type Dtype,
  type Manifest,
} from '../../../shared/model/weights'
import { sha256Hex } from '../../../shared/codec/sha256'
import { randomTensors, smallSpec } from '../helpers'

function encodeSmall(dtype: Dtype = 'f32') {
  const model = smallSpec()
  const tensors = randomTensors(model.generator, 3)
  const { manifest, payload } = encodeWeights(model, tensors, { dtype })
  return { model, tensors, manifest, payload }
}

/** A JSON copy of the manifest, as a reader would see it, for tampering. */
function parsed(manifest: Manifest): any {
  return JSON.parse(JSON.stringify(manifest))
}

function expectFormatError(fn: () => unknown, message: RegExp | string): void {
  let error: unknown
  try {
    fn()
  } catch (err) {
    error = err
  }
  expect(error).toBeInstanceOf(WeightFormatError)
  expect((error as Error).name).toBe('WeightFormatError')
  expect((error as Error).message).toMatch(message)
  expect((error as Error).message).toMatch(/^Expected .*, but got .*\.$/s)
}

describe('encodeWeights', () => {
  it('should list the generator tensors in spec order, 4-byte aligned', () => {
    const { model, manifest, payload } = encodeSmall('q8')
    expect(manifest.format).toBe('digit-gan-generator')
    expect(manifest.formatVersion).toBe(1)
    expect(manifest.latentDim).toBe(6)
    expect(manifest.dtype).toBe('q8')
    expect(manifest.model).toEqual(model)
    const specs = tensorSpecs(model.generator)
    expect(manifest.tensors.map((t) => t.name)).toEqual(specs.map((t) => t.name))
    expect(manifest.tensors.map((t) => t.shape)).toEqual(specs.map((t) => t.shape))
    for (const t of manifest.tensors) {
      expect(t.offset % 4).toBe(0)
      expect(t.dtype).toBe(t.name.endsWith('.kernel') ? 'q8' : 'f32')
    }
    expect(manifest.payload).toEqual({
      file: 'weights.bin',
      byteLength: payload.byteLength,
      sha256: sha256Hex(payload),
    })
    expect('training' in manifest).toBe(false)
  })

  it('should keep training and eval metadata as plain JSON', () => {
    const model = smallSpec()
    const { manifest } = encodeWeights(model, randomTensors(model.generator, 1), {
      dtype: 'f16',
      training: { steps: 200, backend: 'wasm', skipped: undefined },
      eval: { fid: 12.5 },
    })
    expect(manifest.training).toEqual({ steps: 200, backend: 'wasm' })
    expect(manifest.eval).toEqual({ fid: 12.5 })
  })

  it('should ignore tensors outside the generator, such as the discriminator', () => {
    const model = smallSpec()
    const tensors = randomTensors(model.generator, 1)
    const a = encodeWeights(model, tensors, { dtype: 'f32' })
    tensors.set('d.dense0.kernel', new Float32Array(16))
    expect(encodeWeights(model, tensors, { dtype: 'f32' }).payload).toEqual(a.payload)
  })

  it('should reject missing, mis-sized, non-finite and f16-overflowing tensors', () => {
    const model = smallSpec()
    const base = () => randomTensors(model.generator, 1)
    const without = base()
    without.delete('g.bn1.beta')
    expectFormatError(() => encodeWeights(model, without, { dtype: 'f32' }), /g\.bn1\.beta/)
    const short = base()
    short.set('g.dense0.bias', new Float32Array(3))
    expectFormatError(() => encodeWeights(model, short, { dtype: 'f32' }), /10 values/)
    const nan = base()
    nan.get('g.dense1.kernel')![7] = NaN
    expectFormatError(() => encodeWeights(model, nan, { dtype: 'f32' }), /kernel\[7\] to be finite/)
    const huge = base()
    huge.get('g.dense1.kernel')![2] = 70000
    expectFormatError(() => encodeWeights(model, huge, { dtype: 'f16' }), /fit in f16/)
    expect(() => encodeWeights(model, huge, { dtype: 'f32' })).not.toThrow()
    expectFormatError(() => encodeWeights(model, base(), { dtype: 'f64' as Dtype }), /dtype/)
  })
})

describe('decodeWeights round trip', () => {
  it('should return f32 tensors bit for bit', () => {
    const { tensors, manifest, payload } = encodeSmall('f32')
    const decoded = decodeWeights(parsed(manifest), payload)
    expect(decoded.manifest).toEqual(manifest)
    expect([...decoded.tensors.keys()]).toEqual([...tensors.keys()])
    for (const [name, values] of tensors) expect(decoded.tensors.get(name)).toEqual(values)
  })

  it('should keep f16 kernels within half-precision rounding and the rest exact', () => {
    const { tensors, manifest, payload } = encodeSmall('f16')
    const decoded = decodeWeights(parsed(manifest), payload)
    for (const [name, values] of tensors) {
      const got = decoded.tensors.get(name)!
      if (!name.endsWith('.kernel')) {
        expect(got).toEqual(values)
        continue
      }
      // half has 11 significant bits: relative error <= 2^-11, absolute 2^-25 for subnormals
      const bad = values.filter(
        (v, i) => Math.abs(got[i] - v) > Math.max(Math.abs(v) * 2 ** -11, 2 ** -25),
      )
      expect(bad.length, name).toBe(0)
    }
  })

  it.each([
    ['q8', 127],
    ['q12', 2047],
  ] as const)('should keep %s kernels within half a quantization step per output unit', (dtype, qmax) => {
    const { tensors, manifest, payload } = encodeSmall(dtype)
    const decoded = decodeWeights(parsed(manifest), payload)
    for (const entry of manifest.tensors.filter((t) => t.dtype === dtype)) {
      const [inputs, units] = entry.shape
      const values = tensors.get(entry.name)!
      const got = decoded.tensors.get(entry.name)!
      for (let j = 0; j < units; j++) {
        let maxAbs = 0
        for (let i = 0; i < inputs; i++) maxAbs = Math.max(maxAbs, Math.abs(values[i * units + j]))
        const scale = maxAbs / qmax
        for (let i = 0; i < inputs; i++) {
          const k = i * units + j
          expect(Math.abs(got[k] - values[k])).toBeLessThanOrEqual(scale / 2 + 1e-7 * maxAbs)
        }
      }
    }
  })

  it.each([
    ['q14', 8191],
    ['q15', 16383],
  ] as const)('should keep %s kernels within half of one step per tensor', (dtype, qmax) => {
    const { tensors, manifest, payload } = encodeSmall(dtype)
    expect(manifest.dtype).toBe(dtype)
    const decoded = decodeWeights(parsed(manifest), payload)
    for (const entry of manifest.tensors) {
      const values = tensors.get(entry.name)!
      const got = decoded.tensors.get(entry.name)!
      if (entry.dtype === 'f32') {
        expect(got).toEqual(values)
        continue
      }
      expect(entry.dtype).toBe(dtype)
      expect(entry.byteLength).toBe(4 + 2 * values.length)
      const maxAbs = Math.max(...values.map(Math.abs))
      const step = maxAbs / qmax
      const bad = values.filter((v, i) => Math.abs(got[i] - v) > step / 2 + 1e-7 * maxAbs)
      expect(bad.length, entry.name).toBe(0)
    }
  })

  it('should round-trip the full tutorial generator in every dtype', () => {
    const model = tutorialMlp()
    const tensors = randomTensors(model.generator, 9)
    const sizes: Record<string, number> = {}
    for (const dtype of ['f32', 'f16', 'q8', 'q12', 'q14'] as const) {
      const { manifest, payload } = encodeWeights(model, tensors, { dtype })
      const decoded = decodeWeights(parsed(manifest), payload)
      expect(decoded.tensors.size).toBe(tensorSpecs(model.generator).length)
      sizes[dtype] = payload.byteLength
    }
    // kernels dominate: f16 halves them, q8 quarters them (plus per-unit scales)
    expect(sizes.f16 / sizes.f32).toBeCloseTo(0.5, 1)
    expect(sizes.q8 / sizes.f32).toBeLessThan(0.27)
    expect(sizes.q12 / sizes.f32).toBeCloseTo(0.375, 1)
    expect(sizes.q14 / sizes.f32).toBeCloseTo(0.5, 1)
  })

  it('should reject a q15 integer outside ±16383 and accept ±16383', () => {
    const q15 = encodeSmall('q15')
    const entry = q15.manifest.tensors.find((t) => t.name === 'g.dense1.kernel')!
    const withWord = (word: number) => {
      const bytes = new Uint8Array(q15.payload)
      new DataView(bytes.buffer).setInt16(entry.offset + 4 + 2 * 5, word, true)
      const m = parsed(q15.manifest)
      m.payload.sha256 = sha256Hex(bytes)
      return () => decodeWeights(m, bytes)
    }
    expect(withWord(16384)).toThrow('Expected g.dense1.kernel q15 value 5 to be in ±16383, but got 16384.')
    expect(withWord(-16383)).not.toThrow()
  })

  it('should round-trip a compressed payload exactly and make f16 smaller', () => {
    const model = tutorialMlp()
    const tensors = randomTensors(model.generator, 9)
    for (const dtype of ['f32', 'f16', 'q8', 'q12', 'q14'] as const) {
      const plain = encodeWeights(model, tensors, { dtype })
      const packed = encodeWeights(model, tensors, { dtype, compress: true })
      expect(packed.manifest.payload).toMatchObject({
        encoding: 'shuffle2-deflate',
        rawByteLength: plain.payload.byteLength,
      })
      const a = decodeWeights(parsed(plain.manifest), plain.payload).tensors
      const b = decodeWeights(parsed(packed.manifest), packed.payload).tensors
      for (const [name, values] of a) expect(b.get(name), `${dtype} ${name}`).toEqual(values)
      if (dtype === 'f16' || dtype === 'q14') {
        expect(packed.payload.byteLength).toBeLessThan(plain.payload.byteLength)
      }
    }
  })

  it('should reject a compressed payload that does not inflate to rawByteLength', () => {
    const model = smallSpec()
    const { manifest, payload } = encodeWeights(model, randomTensors(model.generator, 3), {
      dtype: 'f16',
      compress: true,
    })
    const wrongLength = { ...parsed(manifest) }
    wrongLength.payload = { ...wrongLength.payload, rawByteLength: manifest.payload.rawByteLength! + 4 }
    expect(() => decodeWeights(wrongLength, payload)).toThrow(WeightFormatError)
    const garbage = new Uint8Array(payload.byteLength).fill(0xff)
    const badStream = parsed(manifest)
    badStream.payload.sha256 = sha256Hex(garbage)
    expect(() => decodeWeights(badStream, garbage)).toThrow(/deflate/)
    const unknown = parsed(manifest)
    unknown.payload.encoding = 'zstd'
    expect(() => decodeWeights(unknown, payload)).toThrow(/encoding/)
  })

  it('should accept a payload that is a view into a larger, unaligned buffer', () => {
    const { tensors, manifest, payload } = encodeSmall('f32')
    const big = new Uint8Array(payload.byteLength + 7)
    big.set(payload, 3)
    const decoded = decodeWeights(parsed(manifest), big.subarray(3, 3 + payload.byteLength))
    expect(decoded.tensors.get('g.dense2.kernel')).toEqual(tensors.get('g.dense2.kernel'))
  })
})

describe('decodeWeights validation', () => {
  const { manifest, payload } = encodeSmall('q8')

  /** decodeWeights on a tampered copy of the manifest; `payloadFn` may tamper with the payload. */
  function tampered(edit: (m: any) => void, payloadFn?: (p: Uint8Array) => Uint8Array) {
    const m = parsed(manifest)
    edit(m)
    const p = payloadFn ? payloadFn(new Uint8Array(payload)) : payload
    return () => decodeWeights(m, p)
  }

  /** Rewrite payload bytes and fix the checksum, to reach the value checks. */
  function withValue(name: string, write: (view: DataView, offset: number) => void) {
    const p = new Uint8Array(payload)
    const entry = manifest.tensors.find((t) => t.name === name)!
    write(new DataView(p.buffer), entry.offset)
    const m = parsed(manifest)
    m.payload.sha256 = sha256Hex(p)
    return () => decodeWeights(m, p)
  }

  it('should detect a flipped payload byte by its checksum', () => {
    const p = new Uint8Array(payload)
    p[100] ^= 0x01
    expectFormatError(
      () => decodeWeights(parsed(manifest), p),
      /sha256 to be [0-9a-f]{64}, but got/,
    )
  })

  it('should detect a truncated or extended payload', () => {
    const n = payload.byteLength
    expectFormatError(
      () => decodeWeights(parsed(manifest), payload.subarray(0, n - 10)),
      `Expected a payload of ${n} bytes (manifest.payload.byteLength), but got ${n - 10}.`,
    )
    expectFormatError(() => decodeWeights(parsed(manifest), new Uint8Array(n + 4)), /payload of/)
  })

  it('should reject a manifest that is not an object or has the wrong format', () => {
    for (const bad of [null, [], 'manifest', 42]) {
      expectFormatError(() => decodeWeights(bad, payload), /the manifest to be a JSON object/)
    }
    expectFormatError(
      tampered((m) => (m.format = 'onnx')),
      /manifest\.format/,
    )
    expectFormatError(
      tampered((m) => delete m.format),
      /manifest\.format.*but got undefined/,
    )
  })

  it('should name an unknown format version', () => {
    expectFormatError(
      tampered((m) => (m.formatVersion = 2)),
      'Expected manifest.formatVersion to be 1, but got 2 (this reader knows version 1 only).',
    )
    expectFormatError(
      tampered((m) => (m.formatVersion = '1')),
      /to be 1, but got "1"\.$/,
    )
  })

  it('should validate the model spec, including unknown layer kinds and sizes', () => {
    expectFormatError(
      tampered((m) => delete m.model),
      /manifest\.model to be an object/,
    )
    expectFormatError(
      tampered((m) => (m.model.generator.layers[1].kind = 'convTranspose2d')),
      /manifest\.model\.generator\.layers\[1\]\.kind to be one of .*, but got "convTranspose2d"/,
    )
    expectFormatError(
      tampered((m) => (m.model.generator.layers[4].inputs = 11)),
      'Expected g.dense1 to take 10 inputs, but got 11.',
    )
    expectFormatError(
      tampered((m) => (m.model.latentDim = '6')),
      /latentDim to be a positive/,
    )
    expectFormatError(
      tampered((m) => (m.model.imageShape = [4, 4])),
      /imageShape/,
    )
    expectFormatError(
      tampered((m) => (m.model.imageShape = [5, 4, 1])),
      /output 20 values/,
    )
    expectFormatError(
      tampered((m) => (m.model.generator.layers[2].fn = 'gelu')),
      /fn to be one of/,
    )
    expectFormatError(
      tampered((m) => delete m.model.generator.layers[2].alpha),
      /alpha/,
    )
    expectFormatError(
      tampered((m) => (m.model.generator.layers[1].epsilon = -1)),
      /epsilon/,
    )
    expectFormatError(
      tampered((m) => (m.model.generator.layers[3].rate = 1)),
      /rate/,
    )
    expectFormatError(
      tampered((m) => (m.model.discriminator = null)),
      /discriminator/,
    )
    expectFormatError(
      tampered((m) => (m.model.generator.layers[4].name = 'g.dense0')),
      /unique layer names/,
    )
  })

  it('should check latentDim, dtype and the payload record', () => {
    expectFormatError(
      tampered((m) => (m.latentDim = 7)),
      /manifest\.latentDim to equal .*\(6\)/,
    )
    expectFormatError(
      tampered((m) => (m.dtype = 'int4')),
      /manifest\.dtype to be one of/,
    )
    expectFormatError(
      tampered((m) => (m.payload = 'weights.bin')),
      /manifest\.payload to be/,
    )
    expectFormatError(
      tampered((m) => (m.payload.file = 'w.bin')),
      /payload\.file/,
    )
    expectFormatError(
      tampered((m) => (m.payload.sha256 = 'abc')),
      /64 lowercase hex/,
    )
    expectFormatError(
      tampered((m) => (m.payload.byteLength = -1)),
      /non-negative integer/,
    )
    expectFormatError(
      tampered((m) => (m.training = [1, 2])),
      /manifest\.training to be an object/,
    )
  })

  it('should check the tensor table against the spec', () => {
    expectFormatError(
      tampered((m) => m.tensors.pop()),
      /list the 14 generator tensors, but got 13/,
    )
    expectFormatError(
      tampered((m) => (m.tensors = {})),
      /manifest\.tensors to be an array/,
    )
    expectFormatError(
      tampered((m) => ([m.tensors[0], m.tensors[1]] = [m.tensors[1], m.tensors[0]])),
      'Expected manifest.tensors[0].name to be "g.dense0.kernel", but got "g.dense0.bias".',
    )
    expectFormatError(
      tampered((m) => (m.tensors[0].shape = [10, 6])),
      /shape .* to be \[6,10\]/,
    )
    expectFormatError(
      tampered((m) => (m.tensors[0].shape = ['6', '10'])),
      /shape/,
    )
    expectFormatError(
      tampered((m) => (m.tensors[1].dtype = 'q8')),
      /only dense kernels/,
    )
    expectFormatError(
      tampered((m) => (m.tensors[0].dtype = 'f16')),
      /to be "q8"/,
    )
    expectFormatError(
      tampered((m) => (m.tensors[3].offset += 2)),
      /multiple of 4/,
    )
    expectFormatError(
      tampered((m) => (m.tensors[3].offset = -4)),
      /non-negative multiple of 4/,
    )
    expectFormatError(
      tampered((m) => (m.tensors[3].byteLength += 4)),
      /byteLength .* to be/,
    )
    expectFormatError(
      tampered((m) => (m.tensors[13].offset += 64)),
      /end within the/,
    )
    expectFormatError(
      tampered((m) => (m.tensors[2].offset = m.tensors[1].offset)),
      /to start at or after/,
    )
  })

  it('should reject non-finite values, negative variances and bad q8 scales', () => {
    expectFormatError(
      withValue('g.bn1.beta', (v, at) => v.setFloat32(at + 8, Infinity, true)),
      'Expected g.bn1.beta[2] to be finite, but got Infinity.',
    )
    expectFormatError(
      withValue('g.bn0.movingVariance', (v, at) => v.setFloat32(at, -0.5, true)),
      /movingVariance\[0\] to be non-negative, but got -0.5/,
    )
    expectFormatError(
      withValue('g.dense1.kernel', (v, at) => v.setFloat32(at + 4, 0, true)),
      /g\.dense1\.kernel q8 scale 1 to be positive, but got 0/,
    )
    expectFormatError(
      withValue('g.dense1.kernel', (v, at) => v.setFloat32(at, NaN, true)),
      /q8 scale 0/,
    )
  })

  it('should reject bad q14 scales, out-of-range integers and a per-unit q14 size', () => {
    const q14 = encodeSmall('q14')
    const entry = q14.manifest.tensors.find((t) => t.name === 'g.dense1.kernel')!
    /** decodeWeights after `edit` writes into the q14 payload (checksum updated). */
    const tamperedQ14 = (edit: (view: DataView) => void, manifestEdit?: (m: any) => void) => {
      const bytes = new Uint8Array(q14.payload)
      edit(new DataView(bytes.buffer))
      const m = parsed(q14.manifest)
      m.payload.sha256 = sha256Hex(bytes)
      manifestEdit?.(m)
      return () => decodeWeights(m, bytes)
    }
    expectFormatError(
      tamperedQ14((v) => v.setFloat32(entry.offset, 0, true)),
      'Expected g.dense1.kernel q14 scale 0 to be positive, but got 0.',
    )
    expectFormatError(
      tamperedQ14((v) => v.setFloat32(entry.offset, -Infinity, true)),
      /q14 scale 0 to be positive/,
    )
    expectFormatError(
      tamperedQ14((v) => v.setInt16(entry.offset + 4 + 2 * 5, -8192, true)),
      'Expected g.dense1.kernel q14 value 5 to be in ±8191, but got -8192.',
    )
    expectFormatError(
      tamperedQ14(
        () => {},
        (m) => (m.tensors[0].byteLength = 4 * 10 + 2 * 60), // as if it had per-unit scales
      ),
      /byteLength \(g\.dense0\.kernel\) to be 124 for q14 \[6,10\]/,
    )
    // the untouched payload still decodes
    expect(tamperedQ14(() => {})()).toMatchObject({ manifest: { dtype: 'q14' } })
  })

  it('should throw WeightFormatError for every bad field type', () => {
    const paths: ((m: any) => void)[] = [
      (m) => (m.latentDim = null),
      (m) => (m.tensors[0] = 'g.dense0.kernel'),
      (m) => (m.tensors[0].offset = '0'),
      (m) => (m.tensors[0].byteLength = null),
      (m) => (m.model.generator.layers = {}),
      (m) => (m.model.generator.layers[0] = null),
      (m) => (m.model.name = 3),
    ]
    for (const edit of paths) expect(tampered(edit)).toThrow(WeightFormatError)
  })
})
