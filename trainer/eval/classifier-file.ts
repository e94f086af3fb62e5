/**
 * @module trainer/eval/classifier-file
 * The stored evaluation classifier: `models/classifier/{manifest.json,weights.bin}`.
 *
 * The manifest holds the architecture (`spec`), a tensor table (`name`, `shape`, `offset`,
 * `byteLength`), the payload's sha256 and the training record (config, steps, backend, wall time,
 * test accuracy); the payload is little-endian f32 in table order (~0.9 MB). Not the generator
 * format of shared/model/weights.ts: that one describes MLP generators and is read by the edge, this one
 * is read by the trainer only. Retrain with `npm run train:classifier`.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  ClassifierError,
  classifierFromArrays,
  classifierTensorShapes,
  type Classifier,
  type ClassifierSpec,
} from './classifier'
import { writeFileAtomic } from '../cli'
import { sha256Hex } from '../../shared/codec/sha256'
import { MANIFEST_FILE, PAYLOAD_FILE } from '../../shared/model/weights'

/** Folder of the shipped classifier, whatever the working directory. */
export const DEFAULT_CLASSIFIER_DIR = fileURLToPath(
  new URL('../../models/classifier', import.meta.url),
)
export const CLASSIFIER_FORMAT = 'digit-gan-classifier'

/** The classifier's manifest.json. */
export interface ClassifierManifest {
  format: typeof CLASSIFIER_FORMAT
  formatVersion: 1
  spec: ClassifierSpec
  /** How to feed it, for readers of the file. */
  input: string
  tensors: { name: string; shape: number[]; offset: number; byteLength: number }[]
  payload: { file: typeof PAYLOAD_FILE; byteLength: number; sha256: string }
  training?: Record<string, unknown>
}

/**
 * Writes the classifier to `dir` atomically: the old manifest is withdrawn, the payload written,
 * then the new manifest (which pins the payload by sha256).
 */
export async function saveClassifier(
  dir: string,
  c: Classifier,
  training?: Record<string, unknown>,
): Promise<ClassifierManifest> {
  const shapes = classifierTensorShapes(c.spec)
  const total = shapes.reduce((sum, { shape }) => sum + shape.reduce((a, b) => a * b, 1), 0)
  const values = new Float32Array(total)
  const tensors: ClassifierManifest['tensors'] = []
  let offset = 0
  for (const { name, shape } of shapes) {
    const data = await c.params.get(name)!.data()
    values.set(data, offset)
    tensors.push({ name, shape, offset: offset * 4, byteLength: data.length * 4 })
    offset += data.length
  }
  const payload = littleEndianBytes(values)
  const manifest: ClassifierManifest = {
    format: CLASSIFIER_FORMAT,
    formatVersion: 1,
    spec: c.spec,
    input: 'NHWC [N, 28, 28, 1] float32, gray / 127.5 - 1 (the generator range [-1, 1])',
    tensors,
    payload: { file: PAYLOAD_FILE, byteLength: payload.length, sha256: sha256Hex(payload) },
    training,
  }
  rmSync(join(dir, MANIFEST_FILE), { force: true })
  writeFileAtomic(join(dir, PAYLOAD_FILE), payload)
  writeFileAtomic(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`)
  return manifest
}

/**
 * Reads and checks a stored classifier (format, checksum, tensor table against the spec).
 * @throws ClassifierError naming the file and what is wrong with it.
 * @example const c = loadClassifier() // models/classifier
 */
export function loadClassifier(
  dir: string = DEFAULT_CLASSIFIER_DIR,
): Classifier & { manifest: ClassifierManifest } {
  const manifestPath = join(dir, MANIFEST_FILE)
  const payloadPath = join(dir, PAYLOAD_FILE)
  for (const path of [manifestPath, payloadPath]) {
    if (!existsSync(path)) {
      throw new ClassifierError(
        `Expected a classifier file at ${path}, but it does not exist; run npm run train:classifier.`,
      )
    }
  }
  let manifest: ClassifierManifest
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as ClassifierManifest
  } catch (err) {
    throw new ClassifierError(
      `Expected JSON in ${manifestPath}, but got: ${(err as Error).message}`,
      {
        cause: err,
      },
    )
  }
  if (manifest.format !== CLASSIFIER_FORMAT || manifest.formatVersion !== 1) {
    throw new ClassifierError(
      `Expected ${CLASSIFIER_FORMAT} version 1 in ${manifestPath}, but got ${manifest.format} ${manifest.formatVersion}.`,
    )
  }
  const payload = new Uint8Array(readFileSync(payloadPath))
  const digest = sha256Hex(payload)
  if (digest !== manifest.payload.sha256) {
    throw new ClassifierError(
      `Expected sha256 ${manifest.payload.sha256} for ${payloadPath}, but got ${digest}.`,
    )
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength)
  const arrays = new Map<string, Float32Array>()
  const expected = JSON.stringify(classifierTensorShapes(manifest.spec))
  const table = JSON.stringify(manifest.tensors.map(({ name, shape }) => ({ name, shape })))
  if (table !== expected) {
    throw new ClassifierError(`Expected tensors ${expected} in ${manifestPath}, but got ${table}.`)
  }
  for (const { name, offset, byteLength } of manifest.tensors) {
    if (offset % 4 !== 0 || byteLength % 4 !== 0 || offset + byteLength > payload.length) {
      throw new ClassifierError(
        `Expected ${name} inside ${payloadPath}, but got offset ${offset} and ${byteLength} bytes.`,
      )
    }
    const values = new Float32Array(byteLength / 4)
    for (let i = 0; i < values.length; i++) values[i] = view.getFloat32(offset + i * 4, true)
    arrays.set(name, values)
  }
  return { ...classifierFromArrays(manifest.spec, arrays), manifest }
}

function littleEndianBytes(values: Float32Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 4)
  const view = new DataView(bytes.buffer)
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true)
  return bytes
}
