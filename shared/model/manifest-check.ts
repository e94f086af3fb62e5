/**
 * @module shared/model/manifest-check
 * Validation of untrusted manifest JSON: the error type, "Expected X, but got Y." messages, and
 * the model spec check. `shared/model/weights` builds the artifact checks on top of these.
 */
import { classCount, featureShapes, outputSize, SpecError, tensorSpecs } from './spec'
import type { LayerSpec, ModelSpec, NetworkSpec } from './spec'

/** An artifact that does not match the format; the message names the first problem found. */
export class WeightFormatError extends Error {
  override name = 'WeightFormatError'
}

/** `value` for an error message: short, and typed where the type is the problem. */
export function show(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? value.slice(0, 40) : value)
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value)
  if (Array.isArray(value)) {
    const text = JSON.stringify(value)
    return text.length <= 40 ? text : `an array of ${value.length}`
  }
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}

/** Throw "Expected `want`, but got `got`." (`raw`: print `got` as is, not as a JSON value). */
export function fail(want: string, got: unknown, raw = false, hint = ''): never {
  throw new WeightFormatError(`Expected ${want}, but got ${raw ? String(got) : show(got)}${hint}.`)
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function positiveInteger(path: string, value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 1) {
    fail(`${path} to be a positive integer`, value)
  }
  return value as number
}

/** A number in [lo, hi] (or [lo, hi) when `open`). */
export function numberIn(path: string, value: unknown, lo: number, hi: number, open = false): void {
  const ok = typeof value === 'number' && value >= lo && (open ? value < hi : value <= hi)
  if (!ok) fail(`${path} to be a number in [${lo}, ${hi}${open ? ')' : ']'}`, value)
}

const ACTIVATIONS = ['leakyRelu', 'relu', 'tanh', 'sigmoid', 'linear']
const LAYER_KINDS = [
  'dense',
  'batchNorm',
  'activation',
  'dropout',
  'condition',
  'reshape',
  'conv2d',
  'upsample',
  'flatten',
]

function checkLayer(path: string, v: unknown): LayerSpec {
  if (!isRecord(v)) fail(`${path} to be an object`, v)
  const named = () => {
    if (typeof v.name !== 'string' || v.name === '') {
      fail(`${path}.name to be a non-empty string`, v.name)
    }
  }
  switch (v.kind) {
    case 'dense':
      named()
      positiveInteger(`${path}.inputs`, v.inputs)
      positiveInteger(`${path}.units`, v.units)
      break
    case 'batchNorm':
      named()
      positiveInteger(`${path}.features`, v.features)
      if (!(typeof v.epsilon === 'number' && v.epsilon > 0 && v.epsilon < Infinity)) {
        fail(`${path}.epsilon to be a positive number`, v.epsilon)
      }
      numberIn(`${path}.momentum`, v.momentum, 0, 1)
      break
    case 'activation':
      if (!ACTIVATIONS.includes(v.fn as string)) {
        fail(`${path}.fn to be one of ${ACTIVATIONS.join(', ')}`, v.fn)
      }
      if (v.alpha !== undefined || v.fn === 'leakyRelu') {
        numberIn(`${path}.alpha`, v.alpha, -1e6, 1e6)
      }
      break
    case 'dropout':
      numberIn(`${path}.rate`, v.rate, 0, 1, true)
      break
    case 'condition':
      positiveInteger(`${path}.classes`, v.classes)
      break
    case 'reshape':
      if (!Array.isArray(v.shape) || v.shape.length !== 3) {
        fail(`${path}.shape to be [height, width, channels]`, v.shape)
      }
      v.shape.forEach((n, i) => positiveInteger(`${path}.shape[${i}]`, n))
      break
    case 'conv2d':
      named()
      positiveInteger(`${path}.inChannels`, v.inChannels)
      positiveInteger(`${path}.filters`, v.filters)
      positiveInteger(`${path}.kernelSize`, v.kernelSize)
      if (v.stride !== 1 && v.stride !== 2) fail(`${path}.stride to be 1 or 2`, v.stride)
      if (v.padding !== 'same') fail(`${path}.padding to be "same"`, v.padding)
      break
    case 'upsample':
      if (v.factor !== 2) fail(`${path}.factor to be 2`, v.factor)
      break
    case 'flatten':
      break
    default:
      fail(`${path}.kind to be one of ${LAYER_KINDS.join(', ')}`, v.kind)
  }
  return v as unknown as LayerSpec
}

function checkNetwork(path: string, v: unknown): NetworkSpec {
  if (!isRecord(v)) fail(`${path} to be an object`, v)
  positiveInteger(`${path}.inputs`, v.inputs)
  if (!Array.isArray(v.layers)) fail(`${path}.layers to be an array`, v.layers)
  v.layers.forEach((layer, i) => checkLayer(`${path}.layers[${i}]`, layer))
  const net = v as unknown as NetworkSpec
  try {
    featureShapes(net)
    classCount(net)
  } catch (err) {
    if (err instanceof SpecError) throw new WeightFormatError(err.message, { cause: err })
    throw err
  }
  const names = new Set<string>()
  for (const t of tensorSpecs(net)) {
    if (names.has(t.name)) fail(`unique layer names in ${path}`, `${t.name} twice`, true)
    names.add(t.name)
  }
  return net
}

/** Validate a model spec from untrusted JSON (`path` names it in messages). */
export function checkModelSpec(v: unknown, path: string): ModelSpec {
  if (!isRecord(v)) fail(`${path} to be an object`, v)
  if (typeof v.name !== 'string') fail(`${path}.name to be a string`, v.name)
  const latentDim = positiveInteger(`${path}.latentDim`, v.latentDim)
  const shape = v.imageShape
  if (!Array.isArray(shape) || shape.length !== 3) {
    fail(`${path}.imageShape to be [height, width, channels]`, shape)
  }
  shape.forEach((n, i) => positiveInteger(`${path}.imageShape[${i}]`, n))
  const pixels = elementCount(shape as number[])
  const generator = checkNetwork(`${path}.generator`, v.generator)
  const discriminator = checkNetwork(`${path}.discriminator`, v.discriminator)
  if (generator.inputs !== latentDim) {
    fail(`${path}.generator.inputs to equal latentDim ${latentDim}`, generator.inputs)
  }
  if (outputSize(generator) !== pixels) {
    fail(`the generator to output ${pixels} values (imageShape)`, outputSize(generator))
  }
  if (discriminator.inputs !== pixels) {
    fail(`${path}.discriminator.inputs to be ${pixels} (imageShape)`, discriminator.inputs)
  }
  if (classCount(discriminator) !== classCount(generator)) {
    const want = `the discriminator to be conditioned on ${classCount(generator)} classes, as the generator`
    fail(want, classCount(discriminator))
  }
  return v as unknown as ModelSpec
}

/** Number of values in a tensor of `shape`. */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1)
}
