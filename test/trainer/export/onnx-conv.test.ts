/**
 * @module test/trainer/export/onnx-conv
 * The exported ONNX graph of the conv generators (dcgan, cdcgan and a spec with every conv-layer
 * geometry), run by onnxruntime-web, agrees with the TS engine within 1e-4: an independent
 * statement of the math (NCHW, explicit BatchNormalization, Resize) against the folded NHWC
 * engine, on its JS path and its WebAssembly kernel.
 */
import * as ort from 'onnxruntime-web'
import { beforeAll, describe, expect, it } from 'vitest'
import { createGenerator } from '../../../shared/inference/forward'
import { sampleLatents } from '../../../shared/latent/latent'
import { type ModelSpec } from '../../../shared/model/spec'
import { dcgan } from '../../../shared/model/presets'
import { decodeWeights, encodeWeights } from '../../../shared/model/weights'
import { loadKernel } from '../../../trainer/kernel'
import { exportOnnx } from '../../../trainer/export/onnx'
import { convSpec, randomTensors } from '../../shared/helpers'

beforeAll(() => {
  // Node has no cross-origin isolation for wasm threads; one thread is also deterministic.
  ort.env.wasm.numThreads = 1
})

/** Max |ONNX − TS| over `n` latents (labels i mod classes for a conditional G), both engines. */
async function maxDifference(model: ModelSpec, seed: number, n: number) {
  const tensors = randomTensors(model.generator, seed)
  const { manifest, payload } = encodeWeights(model, tensors, { dtype: 'f32' })
  const weights = decodeWeights(JSON.parse(JSON.stringify(manifest)), payload)
  const engines = [createGenerator(weights), createGenerator(weights, { kernel: loadKernel() })]
  const session = await ort.InferenceSession.create(exportOnnx(model, tensors))
  const dim = model.latentDim
  const z = sampleLatents(500, n, dim)
  const classes = engines[0].classes
  const feeds: Record<string, ort.Tensor> = { z: new ort.Tensor('float32', z, [n, dim]) }
  if (classes > 0) {
    const label = new Float32Array(n * classes)
    for (let i = 0; i < n; i++) label[i * classes + (i % classes)] = 1
    feeds.label = new ort.Tensor('float32', label, [n, classes])
  }
  const image = (await session.run(feeds)).image
  await session.release()
  const size = engines[0].outputSize
  expect(image.dims).toEqual([n, size])
  const onnx = image.data as Float32Array
  let max = 0
  for (const engine of engines) {
    for (let i = 0; i < n; i++) {
      const ts = engine.run(
        z.subarray(i * dim, (i + 1) * dim),
        classes > 0 ? i % classes : undefined,
      )
      for (let j = 0; j < size; j++) max = Math.max(max, Math.abs(ts[j] - onnx[i * size + j]))
    }
  }
  return { max, onnx }
}

describe('trainer/export/onnx conv generators', () => {
  it('should match the TS engine within 1e-4 on the dcgan generator', async () => {
    const { max, onnx } = await maxDifference(dcgan(), 1, 8)
    console.log(`ONNX vs TS engine, dcgan, 8 latents: max |diff| = ${max.toExponential(3)}`)
    expect(max).toBeLessThan(1e-4)
    expect(Math.max(...onnx)).toBeGreaterThan(0.3) // not degenerate
    expect(Math.min(...onnx)).toBeLessThan(-0.3)
  })

  it('should match the TS engine within 1e-4 on the conditional cdcgan generator', async () => {
    const { max } = await maxDifference(dcgan({ classes: 10 }), 2, 10)
    expect(max).toBeLessThan(1e-4)
  })

  it('should match on odd sizes, even kernels, stride 2, 1×1 convs and BN after a conv', async () => {
    const { max, onnx } = await maxDifference(convSpec(), 3, 6)
    expect(onnx.length).toBe(6 * 80)
    expect(max).toBeLessThan(1e-4)
  })
})
