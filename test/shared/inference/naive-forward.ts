/**
 * @module test/shared/inference/naive-forward
 * The oracle of the engine tests: the generator's forward pass written from the layer
 * definitions alone, in float64 with Math.* functions, unfolded BatchNorm and direct loops.
 */
import type { ModelSpec } from '../../../shared/model/spec'

/**
 * The textbook forward pass in float64 on [h][w][c] maps: unfolded BatchNorm, direct conv loops
 * with TensorFlow's `same` padding computed here from its definition, Math.* activations.
 */
export function naiveForward(
  model: ModelSpec,
  t: Map<string, Float32Array>,
  z: Float32Array,
  label?: number,
): number[] {
  let x = Array.from(z)
  let shape = [x.length]
  for (const layer of model.generator.layers) {
    if (layer.kind === 'dense') {
      const k = t.get(`${layer.name}.kernel`)!
      const b = t.get(`${layer.name}.bias`)!
      x = Array.from({ length: layer.units }, (_, j) => {
        let sum = b[j]
        for (let i = 0; i < layer.inputs; i++) sum += x[i] * k[i * layer.units + j]
        return sum
      })
      shape = [layer.units]
    } else if (layer.kind === 'conv2d') {
      const [h, w, c] = shape
      const { kernelSize: k, stride: s, filters } = layer
      const out = (n: number) => Math.ceil(n / s)
      const before = (n: number) => Math.floor(Math.max((out(n) - 1) * s + k - n, 0) / 2)
      const kernel = t.get(`${layer.name}.kernel`)! // [k, k, c, filters]
      const bias = t.get(`${layer.name}.bias`)!
      const y: number[] = []
      for (let oy = 0; oy < out(h); oy++)
        for (let ox = 0; ox < out(w); ox++)
          for (let f = 0; f < filters; f++) {
            let sum = bias[f]
            for (let ky = 0; ky < k; ky++)
              for (let kx = 0; kx < k; kx++)
                for (let ch = 0; ch < c; ch++) {
                  const iy = oy * s + ky - before(h)
                  const ix = ox * s + kx - before(w)
                  if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue
                  sum += x[(iy * w + ix) * c + ch] * kernel[((ky * k + kx) * c + ch) * filters + f]
                }
            y.push(sum)
          }
      x = y
      shape = [out(h), out(w), filters]
    } else if (layer.kind === 'upsample') {
      const [h, w, c] = shape
      const y: number[] = []
      for (let oy = 0; oy < 2 * h; oy++)
        for (let ox = 0; ox < 2 * w; ox++)
          for (let ch = 0; ch < c; ch++) y.push(x[((oy >> 1) * w + (ox >> 1)) * c + ch])
      x = y
      shape = [2 * h, 2 * w, c]
    } else if (layer.kind === 'reshape') {
      shape = [...layer.shape]
    } else if (layer.kind === 'flatten') {
      shape = [x.length]
    } else if (layer.kind === 'condition') {
      x = [...x, ...Array.from({ length: layer.classes }, (_, i) => (i === label ? 1 : 0))]
      shape = [x.length]
    } else if (layer.kind === 'batchNorm') {
      const g = (p: string, j: number) => t.get(`${layer.name}.${p}`)![j % layer.features]
      x = x.map(
        (v, j) =>
          ((v - g('movingMean', j)) / Math.sqrt(g('movingVariance', j) + layer.epsilon)) *
            g('gamma', j) +
          g('beta', j),
      )
    } else if (layer.kind === 'activation') {
      const alpha = layer.alpha ?? 0
      const fn = {
        leakyRelu: (v: number) => (v < 0 ? alpha * v : v),
        relu: (v: number) => Math.max(0, v),
        tanh: Math.tanh,
        sigmoid: (v: number) => 1 / (1 + Math.exp(-v)),
        linear: (v: number) => v,
      }[layer.fn]
      x = x.map(fn)
    }
  }
  return x
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]))
  return worst
}
