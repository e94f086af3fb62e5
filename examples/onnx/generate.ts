/**
 * @module examples/onnx/generate
 * Draws one digit from an exported generator ONNX file with onnxruntime (onnxruntime-web's
 * WebAssembly build, which runs in Node): none of the project's engine, only its latent sampler,
 * so `--seed 42` feeds the latent the worker feeds for `/generate?seed=42`.
 *
 * Run: `npx tsx examples/onnx/generate.ts default.onnx --seed 42 [--digit 7] [--out 42.png]
 *       [--save-latent z.f32]`
 *
 * The graph (trainer/export/onnx.ts): input `z` [N, latentDim] of standard normals; a conditional model
 * also takes `label` [N, classes], one-hot float; output `image` [N, 784] in [-1, 1] (tanh),
 * a 28×28 digit row by row. Grey level = round((x + 1) · 127.5), as the worker's PNGs.
 */
import { writeFileSync } from 'node:fs'
import * as ort from 'onnxruntime-web'
import { seedLabel } from '../../shared/latent/condition'
import { toGray } from '../../shared/inference/gray'
import { sampleLatent } from '../../shared/latent/latent'
import { encodePng } from '../../shared/codec/png'
import { parseDigit, parseSeed } from '../../trainer/generate'
import { runMain, UsageError, writeFileAtomic } from '../../trainer/cli'
import { isEntry } from '../../trainer/entry'
import { parseFlags } from '../../trainer/flags'

/** Dimension `axis` of an input, read from the graph itself (no manifest needed). */
function inputDim(session: ort.InferenceSession, name: string, axis: number): number {
  const meta = session.inputMetadata.find((m) => m.name === name)
  const dim = meta?.isTensor ? meta.shape[axis] : undefined
  if (typeof dim !== 'number') throw new UsageError(`Expected the ONNX input '${name}'.`)
  return dim
}

/**
 * The `[-1, 1]` image of latent `seed` (and `digit`, for a conditional model; default: the
 * worker's `seed mod classes`), run by onnxruntime.
 * @example const { image } = await generate('default.onnx', 42)
 */
export async function generate(
  onnxPath: string,
  seed: number,
  digit?: number,
): Promise<{ image: Float32Array; z: Float32Array; digit?: number }> {
  // One thread: Node gives wasm threads no cross-origin isolation, and one thread is deterministic.
  ort.env.wasm.numThreads = 1
  const session = await ort.InferenceSession.create(onnxPath)
  try {
    const latentDim = inputDim(session, 'z', 1)
    const z = sampleLatent(seed, latentDim)
    const feeds: Record<string, ort.Tensor> = { z: new ort.Tensor('float32', z, [1, latentDim]) }
    const classes = session.inputNames.includes('label') ? inputDim(session, 'label', 1) : 0
    if (classes === 0 && digit !== undefined) {
      throw new UsageError('Expected no --digit: this model is unconditional.')
    }
    const label = classes > 0 ? (digit ?? seedLabel(seed, classes)!) : undefined
    if (label !== undefined) {
      const oneHot = new Float32Array(classes)
      oneHot[label] = 1
      feeds.label = new ort.Tensor('float32', oneHot, [1, classes])
    }
    const { image } = await session.run(feeds)
    return { image: image.data as Float32Array, z, digit: label }
  } finally {
    await session.release()
  }
}

/** A 28×28 grey image as text, dark to light. */
function ascii(gray: Uint8Array): string {
  const ramp = ' .:-=+*#%@'
  const rows: string[] = []
  for (let y = 0; y < 28; y++) {
    let row = ''
    for (let x = 0; x < 28; x++) row += ramp[Math.floor((gray[y * 28 + x] * ramp.length) / 256)]
    rows.push(row.trimEnd())
  }
  return rows.join('\n')
}

async function main(argv: string[]): Promise<void> {
  const onnxPath = argv[0]
  if (!onnxPath || onnxPath.startsWith('--')) {
    throw new UsageError('Expected the ONNX file as the first argument, but got none.')
  }
  const flags = parseFlags(
    argv.slice(1),
    {
      seed: { value: 'N', default: 42, description: 'the seed (uint32), as /generate?seed=' },
      digit: { value: '0-9', description: 'the digit, for a conditional model' },
      out: { value: 'FILE', description: 'also write the digit as a PNG' },
      saveLatent: { value: 'FILE', description: 'write the latent as raw float32 (for generate.py)' },
    },
    {
      usage: 'npx tsx examples/onnx/generate.ts GENERATOR.onnx [flags]',
      summary: 'Draws one digit from an exported ONNX generator with onnxruntime.',
    },
  )
  const seed = parseSeed('seed', flags.seed ?? '42')
  const digit = flags.digit === undefined ? undefined : parseDigit(flags.digit)
  const { image, z, digit: drawn } = await generate(onnxPath, seed, digit)
  const gray = toGray(image)
  console.log(ascii(gray))
  console.log(`seed ${seed}${drawn === undefined ? '' : `, digit ${drawn}`}`)
  if (flags.out) {
    writeFileAtomic(flags.out, encodePng(gray, 28, 28))
    console.log(`wrote ${flags.out}`)
  }
  if (flags.saveLatent) {
    // Raw little-endian float32, the format generate.py --latent reads.
    writeFileSync(flags.saveLatent, new Uint8Array(z.buffer, z.byteOffset, z.byteLength))
    console.log(`wrote ${flags.saveLatent} (${z.length} float32)`)
  }
}

if (isEntry(import.meta.url, 'generate')) runMain(main)
