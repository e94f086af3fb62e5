/**
 * @module trainer/export/onnx
 * Writes the generator as an ONNX model (IR 8, opset 13) in inference mode, so that any ONNX
 * runtime can check or reuse the artifact. BatchNorm stays an explicit `BatchNormalization` node
 * with the moving statistics rather than being folded into the dense layer as shared/inference/forward does:
 * that keeps the ONNX graph an independent statement of the math, which makes it a useful oracle
 * for the folded TS forward pass.
 *
 * Graph: z [N, latentDim] → (MatMul + Add → [BatchNormalization] → activation)* → image [N, 784].
 * A conditional generator has a second input, `label` [N, classes] (one-hot, float), joined to the
 * features by a `Concat` where the spec has its `condition` layer.
 *
 * Conv layers: feature maps are NCHW inside the graph (ONNX's `Conv` layout), NHWC in the spec, so
 * `reshape` is `Reshape` to [N, h, w, c] + `Transpose` to NCHW and `flatten` the reverse — the
 * same row-major (h, w, c) order as the TS engine. `conv2d` is `Conv` with explicit `pads`
 * (TensorFlow's `same`, shared/model/spec `convGeometry`) on the stored `[k, k, in, out]` kernel
 * `Transpose`d to `[out, in, k, k]`; `upsample` is `Resize` nearest with scales [1, 1, 2, 2]
 * (`asymmetric` coordinates, `floor` rounding: output row i reads input row ⌊i / 2⌋). The
 * initializers keep the artifact's tensor names; shapes and scales are extra constants.
 */
import {
  classCount,
  convGeometry,
  featureShapes,
  outputSize,
  tensorSpecs,
  type Activation,
  type ActivationSpec,
  type BatchNormSpec,
  type Conv2dSpec,
  type DenseSpec,
  type FeatureShape,
  type LayerSpec,
  type ModelSpec,
  type ReshapeSpec,
  type UpsampleSpec,
} from '../../shared/model/spec'
import { ProtoWriter } from './protobuf'

/** ONNX IR version 8 (ONNX 1.10): understood by every maintained runtime. */
export const ONNX_IR_VERSION = 8
/** Default-domain opset; every op used here has its current form since opset 13 or earlier. */
export const ONNX_OPSET = 13
export const ONNX_INPUT = 'z'
export const ONNX_OUTPUT = 'image'
/** The one-hot class input of a conditional generator. */
export const ONNX_LABEL = 'label'
/** Symbolic batch dimension shared by input and output. */
export const ONNX_BATCH_DIM = 'N'

// TensorProto.DataType FLOAT / INT64 and AttributeProto.AttributeType FLOAT / INT / STRING / INTS
const DT_FLOAT = 1
const DT_INT64 = 7
const ATTR_FLOAT = 1
const ATTR_INT = 2
const ATTR_STRING = 3
const ATTR_INTS = 7

/** Error for a spec or tensor set that cannot be exported. */
export class OnnxExportError extends Error {
  override name = 'OnnxExportError'
}

interface OnnxNode {
  op: string
  name: string
  inputs: string[]
  output: string
  floatAttrs?: Record<string, number>
  intAttrs?: Record<string, number>
  intsAttrs?: Record<string, number[]>
  stringAttrs?: Record<string, string>
}

/** A constant the graph adds to the artifact's tensors (shapes for Reshape, scales for Resize). */
interface Constant {
  name: string
  dims: number[]
  values: number[]
  type: 'float' | 'int64'
}

/**
 * Encodes the generator of `model` with `tensors` (f32, names from `tensorSpecs`) as ONNX bytes.
 * @example writeFileAtomic('runs/x/generator.onnx', exportOnnx(model, tensors))
 */
export function exportOnnx(model: ModelSpec, tensors: Map<string, Float32Array>): Uint8Array {
  const net = model.generator
  if (net.inputs !== model.latentDim) {
    throw new OnnxExportError(
      `Expected the generator to take latentDim ${model.latentDim} inputs, but got ${net.inputs}.`,
    )
  }
  const outputs = outputSize(net)
  const specs = tensorSpecs(net)
  for (const spec of specs) {
    const values = tensors.get(spec.name)
    const size = spec.shape.reduce((a, b) => a * b, 1)
    if (!values) throw new OnnxExportError(`Expected tensor ${spec.name}, but it is missing.`)
    if (values.length !== size) {
      throw new OnnxExportError(
        `Expected ${spec.name} to have ${size} values, but got ${values.length}.`,
      )
    }
  }

  const nodes: OnnxNode[] = []
  const constants: Constant[] = []
  const shapes = featureShapes(net)
  let current = ONNX_INPUT
  net.layers.forEach((layer, i) => {
    const node = layerNode(layer, { index: i, input: current, shape: shapes[i], constants })
    if (node) {
      nodes.push(...node)
      current = node[node.length - 1].output
    }
  })
  // The last node writes the graph output directly; a network without nodes needs an Identity.
  if (nodes.length === 0) {
    nodes.push({ op: 'Identity', name: 'output', inputs: [current], output: ONNX_OUTPUT })
  } else {
    nodes[nodes.length - 1].output = ONNX_OUTPUT
  }

  const graph = new ProtoWriter()
  for (const node of nodes) graph.message(1, encodeNode(node))
  graph.string(2, `${model.name}-generator`)
  for (const spec of specs) {
    graph.message(5, encodeTensor(spec.name, spec.shape, tensors.get(spec.name)!))
  }
  for (const c of constants) graph.message(5, encodeConstant(c))
  graph.string(10, 'Generator in inference mode: BatchNorm uses the moving statistics.')
  graph.message(11, valueInfo(ONNX_INPUT, model.latentDim))
  const classes = classCount(net)
  if (classes > 0) graph.message(11, valueInfo(ONNX_LABEL, classes))
  graph.message(12, valueInfo(ONNX_OUTPUT, outputs))

  const modelProto = new ProtoWriter()
    .int(1, ONNX_IR_VERSION)
    .string(2, 'digit-gan')
    .string(3, '0.1.0')
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, '').int(2, ONNX_OPSET))
  const meta = {
    latentDim: String(model.latentDim),
    imageShape: model.imageShape.join('x'),
    classes: String(classes),
  }
  for (const [key, value] of Object.entries(meta)) {
    modelProto.message(14, new ProtoWriter().string(1, key).string(2, value))
  }
  return modelProto.finish()
}

/** Where a layer sits in the graph: what its nodes read, and where they add constants. */
interface LayerAt {
  index: number
  /** The tensor the layer reads. */
  input: string
  /** Its features in spec form: flat `[n]`, or a map `[h, w, c]` (NCHW in the graph). */
  shape: FeatureShape
  constants: Constant[]
}

/** A layer's ONNX nodes (the last one writes its output); null for an identity. */
type NodeWriter<K extends LayerSpec['kind']> = (
  layer: Extract<LayerSpec, { kind: K }>,
  at: LayerAt,
) => OnnxNode[] | null

/**
 * One writer per layer kind, so a new kind in shared/model/spec does not compile until it has an
 * ONNX form. Dropout is the identity at inference.
 */
const NODE_WRITERS: { [K in LayerSpec['kind']]: NodeWriter<K> } = {
  dense: denseNodes,
  batchNorm: batchNormNodes,
  activation: activationNodes,
  dropout: () => null,
  condition: (_, { index, input }) => {
    const name = `condition${index}`
    return [
      { op: 'Concat', name, inputs: [input, ONNX_LABEL], output: name, intAttrs: { axis: 1 } },
    ]
  },
  reshape: reshapeNodes,
  flatten: (_, { index, input }) => {
    const name = `flatten${index}`
    return [
      transpose(`${name}.nhwc`, input, [0, 2, 3, 1]),
      { op: 'Flatten', name, inputs: [`${name}.nhwc`], output: name, intAttrs: { axis: 1 } },
    ]
  },
  conv2d: convNodes,
  upsample: upsampleNodes,
}

/** The ONNX nodes of one layer (null for identities); adds the constants they read. */
function layerNode(layer: LayerSpec, at: LayerAt): OnnxNode[] | null {
  if (!Object.hasOwn(NODE_WRITERS, layer.kind)) {
    throw new OnnxExportError(
      `Expected a known layer kind, but got '${(layer as { kind: string }).kind}'.`,
    )
  }
  return (NODE_WRITERS[layer.kind] as NodeWriter<LayerSpec['kind']>)(layer as never, at)
}

/** `MatMul` by the stored `[in, out]` kernel, then `Add` of the bias. */
function denseNodes(layer: DenseSpec, { input }: LayerAt): OnnxNode[] {
  const n = layer.name
  const product = `${n}.matmul`
  return [
    { op: 'MatMul', name: product, inputs: [input, `${n}.kernel`], output: product },
    { op: 'Add', name: `${n}.add`, inputs: [product, `${n}.bias`], output: `${n}.out` },
  ]
}

/** Inference-mode `BatchNormalization` with the moving statistics, not folded (see the header). */
function batchNormNodes(layer: BatchNormSpec, { input }: LayerAt): OnnxNode[] {
  const n = layer.name
  const params = ['gamma', 'beta', 'movingMean', 'movingVariance'].map((p) => `${n}.${p}`)
  return [
    {
      op: 'BatchNormalization',
      name: n,
      inputs: [input, ...params],
      output: `${n}.out`,
      floatAttrs: { epsilon: layer.epsilon },
    },
  ]
}

/** The ONNX op of each activation; `linear` has none. */
const ACTIVATION_OPS: Record<Exclude<Activation, 'linear'>, string> = {
  leakyRelu: 'LeakyRelu',
  relu: 'Relu',
  tanh: 'Tanh',
  sigmoid: 'Sigmoid',
}

function activationNodes(layer: ActivationSpec, { index, input }: LayerAt): OnnxNode[] | null {
  if (layer.fn === 'linear') return null
  if (!Object.hasOwn(ACTIVATION_OPS, layer.fn)) {
    throw new OnnxExportError(`Expected a known activation, but got '${String(layer.fn)}'.`)
  }
  const op = ACTIVATION_OPS[layer.fn]
  const name = `act${index}.${layer.fn}`
  const node: OnnxNode = { op, name, inputs: [input], output: name }
  if (layer.fn === 'leakyRelu') node.floatAttrs = { alpha: layer.alpha ?? 0.2 }
  return [node]
}

/** Flat features → `Reshape` to the spec's NHWC map → `Transpose` to the graph's NCHW. */
function reshapeNodes(layer: ReshapeSpec, { index, input, constants }: LayerAt): OnnxNode[] {
  const name = `reshape${index}`
  constants.push({ name: `${name}.shape`, dims: [4], values: [-1, ...layer.shape], type: 'int64' })
  return [
    { op: 'Reshape', name, inputs: [input, `${name}.shape`], output: `${name}.nhwc` },
    transpose(`${name}.nchw`, `${name}.nhwc`, [0, 3, 1, 2]),
  ]
}

/**
 * `Conv` with TensorFlow's `same` padding made explicit (it may differ before and after), on the
 * stored `[k, k, in, out]` kernel `Transpose`d to ONNX's `[out, in, k, k]`.
 */
function convNodes(layer: Conv2dSpec, { input, shape }: LayerAt): OnnxNode[] {
  const n = layer.name
  const k = layer.kernelSize
  const [h, w] = shape as readonly [number, number, number] // a map: checked by featureShapes
  const rows = convGeometry(h, k, layer.stride)
  const cols = convGeometry(w, k, layer.stride)
  return [
    transpose(`${n}.kernel.oihw`, `${n}.kernel`, [3, 2, 0, 1]),
    {
      op: 'Conv',
      name: n,
      inputs: [input, `${n}.kernel.oihw`, `${n}.bias`],
      output: `${n}.out`,
      intsAttrs: {
        kernel_shape: [k, k],
        strides: [layer.stride, layer.stride],
        pads: [rows.before, cols.before, rows.after, cols.after],
      },
    },
  ]
}

/** Nearest-neighbour `Resize` by the factor: output row i reads input row ⌊i / factor⌋. */
function upsampleNodes(layer: UpsampleSpec, { index, input, constants }: LayerAt): OnnxNode[] {
  const name = `upsample${index}`
  const f = layer.factor
  constants.push({ name: `${name}.scales`, dims: [4], values: [1, 1, f, f], type: 'float' })
  return [
    {
      op: 'Resize',
      name,
      inputs: [input, '', `${name}.scales`],
      output: name,
      stringAttrs: {
        mode: 'nearest',
        coordinate_transformation_mode: 'asymmetric',
        nearest_mode: 'floor',
      },
    },
  ]
}

function transpose(output: string, input: string, perm: number[]): OnnxNode {
  return { op: 'Transpose', name: output, inputs: [input], output, intsAttrs: { perm } }
}

function encodeNode(node: OnnxNode): ProtoWriter {
  const w = new ProtoWriter()
  for (const input of node.inputs) w.string(1, input)
  w.string(2, node.output).string(3, node.name).string(4, node.op)
  for (const [name, value] of Object.entries(node.floatAttrs ?? {})) {
    w.message(5, new ProtoWriter().string(1, name).float(2, value).int(20, ATTR_FLOAT))
  }
  for (const [name, value] of Object.entries(node.intAttrs ?? {})) {
    w.message(5, new ProtoWriter().string(1, name).int(3, value).int(20, ATTR_INT))
  }
  for (const [name, values] of Object.entries(node.intsAttrs ?? {})) {
    const attr = new ProtoWriter().string(1, name)
    for (const v of values) attr.int(8, v)
    w.message(5, attr.int(20, ATTR_INTS))
  }
  for (const [name, value] of Object.entries(node.stringAttrs ?? {})) {
    w.message(5, new ProtoWriter().string(1, name).string(4, value).int(20, ATTR_STRING))
  }
  return w
}

/** A float or int64 constant initializer, `raw_data` little-endian. */
function encodeConstant(c: Constant): ProtoWriter {
  const size = c.type === 'float' ? 4 : 8
  const raw = new Uint8Array(c.values.length * size)
  const view = new DataView(raw.buffer)
  c.values.forEach((v, i) => {
    if (c.type === 'float') view.setFloat32(i * 4, v, true)
    else view.setBigInt64(i * 8, BigInt(v), true)
  })
  const type = c.type === 'float' ? DT_FLOAT : DT_INT64
  return new ProtoWriter().packedInts(1, c.dims).int(2, type).string(8, c.name).bytes(9, raw)
}

/** A float initializer; `raw_data` is little-endian by the ONNX spec, whatever the host order. */
function encodeTensor(name: string, shape: number[], values: Float32Array): ProtoWriter {
  const raw = new Uint8Array(values.length * 4)
  const view = new DataView(raw.buffer)
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true)
  return new ProtoWriter().packedInts(1, shape).int(2, DT_FLOAT).string(8, name).bytes(9, raw)
}

/** A float tensor value of shape [N, features]. */
function valueInfo(name: string, features: number): ProtoWriter {
  const shape = new ProtoWriter()
    .message(1, new ProtoWriter().string(2, ONNX_BATCH_DIM))
    .message(1, new ProtoWriter().int(1, features))
  const tensorType = new ProtoWriter().int(1, DT_FLOAT).message(2, shape)
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType))
}
