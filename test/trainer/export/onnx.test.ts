/**
 * @module test/trainer/export/onnx
 * The exported ONNX generator, run by onnxruntime-web, agrees with the folded TS forward pass
 * (an independent oracle: explicit BatchNormalization nodes vs BN folded into the dense layers).
 */
import * as ort from 'onnxruntime-web'
import { beforeAll, describe, expect, it } from 'vitest'
import { createGenerator } from '../../../shared/inference/forward'
import { sampleLatents } from '../../../shared/latent/latent'
import type { ModelSpec } from '../../../shared/model/spec'
import { tutorialMlp } from '../../../shared/model/presets'
import { decodeWeights, encodeWeights } from '../../../shared/model/weights'
import { exportOnnx, OnnxExportError } from '../../../trainer/export/onnx'
import { ProtoWriter } from '../../../trainer/export/protobuf'
import { randomTensors } from '../../shared/helpers'

/** Max |ONNX − TS| over `n` latents from `seedStart`. */
async function maxDifference(model: ModelSpec, tensors: Map<string, Float32Array>, n: number) {
  const { manifest, payload } = encodeWeights(model, tensors, { dtype: 'f32' })
  const generator = createGenerator(decodeWeights(JSON.parse(JSON.stringify(manifest)), payload))
  const session = await ort.InferenceSession.create(exportOnnx(model, tensors))
  const z = sampleLatents(1000, n, model.latentDim)
  const result = await session.run({ z: new ort.Tensor('float32', z, [n, model.latentDim]) })
  const image = result.image
  expect(image.dims).toEqual([n, generator.outputSize])
  const onnx = image.data as Float32Array
  let max = 0
  for (let i = 0; i < n; i++) {
    const ts = generator.run(z.subarray(i * model.latentDim, (i + 1) * model.latentDim))
    for (let j = 0; j < ts.length; j++) {
      max = Math.max(max, Math.abs(ts[j] - onnx[i * ts.length + j]))
    }
  }
  await session.release()
  return { max, onnx }
}

describe('trainer/export/onnx', () => {
  it('should match the TS forward pass of a conditional generator for every label', async () => {
    ort.env.wasm.numThreads = 1
    const model = tutorialMlp({ classes: 10 })
    const tensors = randomTensors(model.generator, 4)
    const { manifest, payload } = encodeWeights(model, tensors, { dtype: 'f32' })
    const generator = createGenerator(decodeWeights(manifest, payload))
    const session = await ort.InferenceSession.create(exportOnnx(model, tensors))
    expect(session.inputNames).toEqual(['z', 'label'])
    const n = 20
    const z = sampleLatents(7, n, 100)
    const label = new Float32Array(n * 10)
    for (let i = 0; i < n; i++) label[i * 10 + (i % 10)] = 1
    const result = await session.run({
      z: new ort.Tensor('float32', z, [n, 100]),
      label: new ort.Tensor('float32', label, [n, 10]),
    })
    const onnx = result.image.data as Float32Array
    let max = 0
    for (let i = 0; i < n; i++) {
      const ts = generator.run(z.subarray(i * 100, (i + 1) * 100), i % 10)
      for (let j = 0; j < 784; j++) max = Math.max(max, Math.abs(ts[j] - onnx[i * 784 + j]))
    }
    await session.release()
    expect(max).toBeLessThan(1e-4)
  })

  beforeAll(() => {
    // Node has no cross-origin isolation for wasm threads; one thread is also deterministic.
    ort.env.wasm.numThreads = 1
  })

  it('should match the TS forward pass within 1e-4 on 32 latents', async () => {
    const model = tutorialMlp()
    const { max, onnx } = await maxDifference(model, randomTensors(model.generator, 1), 32)
    console.log(`ONNX vs TS forward pass, 32 latents: max |diff| = ${max.toExponential(3)}`)
    expect(max).toBeLessThan(1e-4)
    // The weights are not degenerate: outputs use much of tanh's range.
    expect(Math.max(...onnx)).toBeGreaterThan(0.5)
    expect(Math.min(...onnx)).toBeLessThan(-0.5)
  })

  it('should cover relu, sigmoid, dropout and BatchNorm at the first layer', async () => {
    const model: ModelSpec = {
      ...tutorialMlp({ latentDim: 16 }),
      generator: {
        inputs: 16,
        layers: [
          { kind: 'dense', name: 'g.a', inputs: 16, units: 32 },
          { kind: 'batchNorm', name: 'g.bnA', features: 32, epsilon: 1e-3, momentum: 0.8 },
          { kind: 'activation', fn: 'relu' },
          { kind: 'dropout', rate: 0.3 },
          { kind: 'dense', name: 'g.b', inputs: 32, units: 784 },
          { kind: 'activation', fn: 'sigmoid' },
        ],
      },
    }
    const { max } = await maxDifference(model, randomTensors(model.generator, 2), 8)
    expect(max).toBeLessThan(1e-4)
  })

  it('should declare z [N, latentDim] and image [N, 784] with a symbolic batch', async () => {
    const model = tutorialMlp()
    const session = await ort.InferenceSession.create(exportOnnx(model, randomTensors(model.generator, 3)))
    expect(session.inputNames).toEqual(['z'])
    expect(session.outputNames).toEqual(['image'])
    const [input] = session.inputMetadata
    expect(input.isTensor && input.shape).toEqual(['N', 100])
    const one = await session.run({ z: new ort.Tensor('float32', new Float32Array(100), [1, 100]) })
    expect(one.image.dims).toEqual([1, 784])
    await session.release()
  })

  it('should reject missing or mis-sized tensors', () => {
    const model = tutorialMlp()
    const tensors = randomTensors(model.generator, 4)
    const missing = new Map(tensors)
    missing.delete('g.bn1.beta')
    expect(() => exportOnnx(model, missing)).toThrow(OnnxExportError)
    expect(() => exportOnnx(model, missing)).toThrow('g.bn1.beta')
    const short = new Map(tensors).set('g.dense3.bias', new Float32Array(10))
    expect(() => exportOnnx(model, short)).toThrow('Expected g.dense3.bias to have 784 values')
  })
})

describe('trainer/export/protobuf', () => {
  it('should encode varints, negatives, floats and nested messages per the wire format', () => {
    expect([...new ProtoWriter().int(1, 150).finish()]).toEqual([0x08, 0x96, 0x01])
    const negative = new ProtoWriter().int(1, -1).finish()
    expect([...negative]).toEqual([0x08, ...Array(9).fill(0xff), 0x01])
    expect([...new ProtoWriter().float(2, 1).finish()]).toEqual([0x15, 0, 0, 0x80, 0x3f])
    const nested = new ProtoWriter().message(3, new ProtoWriter().int(1, 150)).finish()
    expect([...nested]).toEqual([0x1a, 0x03, 0x08, 0x96, 0x01])
    expect([...new ProtoWriter().string(2, 'testing').finish()].slice(0, 2)).toEqual([0x12, 7])
    expect([...new ProtoWriter().packedInts(4, [3, 270]).finish()]).toEqual([0x22, 3, 3, 0x8e, 2])
  })

  it('should grow its buffer for large fields', () => {
    const big = new Uint8Array(100_000).fill(7)
    const bytes = new ProtoWriter().bytes(1, big).finish()
    expect(bytes.length).toBe(1 + 3 + big.length)
    expect(bytes[bytes.length - 1]).toBe(7)
  })
})
