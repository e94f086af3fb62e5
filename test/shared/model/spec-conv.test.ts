/**
 * @module test/shared/model/spec-conv
 * The conv layer kinds as plain data: shapes (`featureShapes`, `convGeometry`), tensors, the
 * `dcgan` preset, and the manifest validation that rejects bad conv specs with WeightFormatError.
 */
import { describe, expect, it } from 'vitest'
import { convGeometry, featureShapes, parameterCount, tensorSpecs, type LayerSpec, type ModelSpec } from '../../../shared/model/spec'
import { dcgan } from '../../../shared/model/presets'
import { decodeWeights, encodeWeights, WeightFormatError } from '../../../shared/model/weights'
import { randomTensors } from '../helpers'

describe('convGeometry', () => {
  it('should pad as TensorFlow `same`: ⌈n / s⌉ outputs, the odd padding after', () => {
    expect(convGeometry(28, 4, 2)).toEqual({ out: 14, before: 1, after: 1 })
    expect(convGeometry(28, 3, 2)).toEqual({ out: 14, before: 0, after: 1 })
    expect(convGeometry(14, 3, 1)).toEqual({ out: 14, before: 1, after: 1 })
    expect(convGeometry(6, 4, 1)).toEqual({ out: 6, before: 1, after: 2 })
    expect(convGeometry(7, 3, 2)).toEqual({ out: 4, before: 1, after: 1 })
    expect(convGeometry(3, 5, 2)).toEqual({ out: 2, before: 2, after: 2 })
    expect(convGeometry(28, 1, 2)).toEqual({ out: 14, before: 0, after: 0 })
  })
})

describe('dcgan', () => {
  it('should build G 100 → 7×7×64 → 14×14×32 → 28×28×1 and D 28×28×1 → 14×14×32 → 7×7×64 → 1', () => {
    const model = dcgan()
    expect(model.name).toBe('dcgan')
    const g = featureShapes(model.generator).filter((s) => s.length === 3)
    expect(g).toContainEqual([7, 7, 64])
    expect(g).toContainEqual([14, 14, 64]) // upsampled, into conv1
    expect(g).toContainEqual([14, 14, 32])
    expect(g.at(-1)).toEqual([28, 28, 1])
    expect(featureShapes(model.generator).at(-1)).toEqual([784])
    const d = featureShapes(model.discriminator).filter((s) => s.length === 3)
    expect(d).toEqual([
      [28, 28, 1],
      [14, 14, 32],
      [14, 14, 32],
      [7, 7, 64],
      [7, 7, 64],
    ])
    expect(featureShapes(model.discriminator).at(-1)).toEqual([1])
    const names = tensorSpecs(model.generator).map((t) => `${t.name} [${t.shape}]`)
    expect(names).toContain('g.dense0.kernel [100,3136]')
    expect(names).toContain('g.bn0.gamma [64]')
    expect(names).toContain('g.conv1.kernel [3,3,64,32]')
    expect(names).toContain('g.conv2.kernel [3,3,32,1]')
    // dense 100·3136 + 3136, BN 4·64 + 4·32, conv 9·64·32 + 32, conv 9·32 + 1
    expect(parameterCount(model.generator)).toBe(316736 + 256 + 128 + 18464 + 289)
  })

  it('should condition G at its input and D after its flatten (cdcgan)', () => {
    const model = dcgan({ classes: 10 })
    expect(model.name).toBe('cdcgan')
    expect(model.generator.layers[0]).toEqual({ kind: 'condition', classes: 10 })
    expect(model.generator.layers[1]).toMatchObject({ kind: 'dense', inputs: 110 })
    const d = model.discriminator.layers
    const at = d.findIndex((l) => l.kind === 'condition')
    expect(d[at - 1]).toEqual({ kind: 'flatten' })
    expect(d[at + 1]).toMatchObject({ kind: 'dense', inputs: 3146 })
  })

  it('should round-trip through the artifact, conv kernels as f32 next to a q12 dense kernel', () => {
    for (const model of [dcgan(), dcgan({ classes: 10 })]) {
      const tensors = randomTensors(model.generator, 3)
      const { manifest, payload } = encodeWeights(model, tensors, { dtype: 'q12' })
      const decoded = decodeWeights(JSON.parse(JSON.stringify(manifest)), payload)
      const dtypes = Object.fromEntries(manifest.tensors.map((t) => [t.name, t.dtype]))
      expect(dtypes['g.dense0.kernel']).toBe('q12')
      expect(dtypes['g.conv1.kernel']).toBe('f32')
      expect(decoded.tensors.get('g.conv1.kernel')).toEqual(tensors.get('g.conv1.kernel'))
      expect(decoded.manifest.model).toEqual(model)
    }
  })
})

/** A dcgan manifest with `edit` applied to its generator layers (or the whole model). */
function decodeEdited(edit: (layers: LayerSpec[], model: ModelSpec) => void) {
  const model = dcgan()
  const { manifest, payload } = encodeWeights(model, randomTensors(model.generator, 1), {
    dtype: 'f32',
  })
  const bad = structuredClone(manifest)
  edit(bad.model.generator.layers, bad.model)
  return () => decodeWeights(bad, payload)
}

/** Index of the generator layer named `name` (or of the first of `kind`). */
function find(layers: LayerSpec[], key: string): number {
  return layers.findIndex((l) => ('name' in l && l.name === key) || l.kind === key)
}

describe('manifest validation of conv layers', () => {
  const cases: [string, (layers: LayerSpec[], model: ModelSpec) => void, RegExp][] = [
    [
      'a reshape without 3 dimensions',
      (l) => Object.assign(l[find(l, 'reshape')], { shape: [49, 64] }),
      /shape to be \[height, width, channels\]/,
    ],
    [
      'a reshape that changes the size',
      (l) => Object.assign(l[find(l, 'reshape')], { shape: [7, 7, 32] }),
      /to keep 3136 values, but got 1568/,
    ],
    [
      'a reshape of a feature map',
      (l) => l.splice(find(l, 'upsample'), 0, { kind: 'reshape', shape: [7, 7, 64] }),
      /Expected flat features at reshape, but got a \[7, 7, 64\] map/,
    ],
    [
      'a conv on flat features',
      (l) => l.splice(find(l, 'g.conv1'), 0, { kind: 'flatten' }),
      /Expected a feature map at g\.conv1, but got 12544 flat features/,
    ],
    [
      'a conv with the wrong input channels',
      (l) => Object.assign(l[find(l, 'g.conv1')], { inChannels: 32 }),
      /Expected g\.conv1 to take 64 channels, but got 32/,
    ],
    [
      'stride 3',
      (l) => Object.assign(l[find(l, 'g.conv1')], { stride: 3 }),
      /stride to be 1 or 2, but got 3/,
    ],
    [
      'valid padding',
      (l) => Object.assign(l[find(l, 'g.conv1')], { padding: 'valid' }),
      /padding to be "same", but got "valid"/,
    ],
    [
      'a zero kernel size',
      (l) => Object.assign(l[find(l, 'g.conv1')], { kernelSize: 0 }),
      /kernelSize to be a positive integer/,
    ],
    [
      'fractional filters',
      (l) => Object.assign(l[find(l, 'g.conv2')], { filters: 1.5 }),
      /filters to be a positive integer/,
    ],
    [
      'a conv without a name',
      (l) => Object.assign(l[find(l, 'g.conv2')], { name: '' }),
      /name to be a non-empty string/,
    ],
    [
      'upsampling by 3',
      (l) => Object.assign(l[find(l, 'upsample')], { factor: 3 }),
      /factor to be 2, but got 3/,
    ],
    [
      'a flatten of flat features',
      (l) => l.splice(1, 0, { kind: 'flatten' }),
      /Expected a feature map at flatten, but got 3136 flat features/,
    ],
    [
      'a generator ending on a map',
      (l) => l.pop(),
      /end on flat features \(add a flatten layer\), but got a \[28, 28, 1\] map/,
    ],
    [
      'a condition on a map',
      (l) => l.splice(find(l, 'upsample'), 0, { kind: 'condition', classes: 10 }),
      /Expected flat features at condition/,
    ],
    [
      'a BatchNorm over the wrong channels',
      (l) => Object.assign(l[find(l, 'g.bn1')], { features: 64 }),
      /Expected g\.bn1 to have 32 features \(channels\), but got 64/,
    ],
    [
      'an unknown kind',
      (l) => l.splice(1, 0, { kind: 'deconv' } as unknown as LayerSpec),
      /kind to be one of dense, batchNorm, activation, dropout, condition, reshape, conv2d, upsample, flatten, but got "deconv"/,
    ],
    [
      'a map past 2^24 values',
      (l) => l.splice(find(l, 'upsample'), 0, ...Array(10).fill({ kind: 'upsample', factor: 2 })),
      /at most 16777216 features per layer/,
    ],
    [
      'a bad D conv',
      (_, m) => Object.assign(m.discriminator.layers[1], { stride: 0 }),
      /discriminator\.layers\[1\]\.stride to be 1 or 2/,
    ],
  ]

  it.each(cases)('should reject %s with WeightFormatError', (_, edit, message) => {
    const decode = decodeEdited(edit)
    expect(decode).toThrow(WeightFormatError)
    expect(decode).toThrow(message)
  })

  it('should reject a conv kernel tensor of the wrong shape in the tensor table', () => {
    const model = dcgan()
    const { manifest, payload } = encodeWeights(model, randomTensors(model.generator, 1), {
      dtype: 'f32',
    })
    const bad = structuredClone(manifest)
    const entry = bad.tensors.find((t) => t.name === 'g.conv1.kernel')!
    entry.shape = [3, 3, 32, 64] // the same size, transposed
    expect(() => decodeWeights(bad, payload)).toThrow(
      /\.shape \(g\.conv1\.kernel\) to be \[3,3,64,32\]/,
    )
  })
})
