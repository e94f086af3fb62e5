/**
 * @module test/trainer/fixtures
 * Tiny MNIST-format data sets for fast trainer tests: blurry synthetic "digits" (a bright bar at
 * a label-dependent position) written as real idx files into a temp folder.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Xoshiro128 } from '../../shared/latent/rng'
import { encodeIdx, MNIST_FILES } from '../../trainer/run/data'

/** `count` synthetic 28×28 images and their labels. */
export function syntheticMnist(
  count: number,
  seed = 1,
): { images: Uint8Array; labels: Uint8Array } {
  const rng = new Xoshiro128(seed)
  const images = new Uint8Array(count * 784)
  const labels = new Uint8Array(count)
  for (let i = 0; i < count; i++) {
    const label = i % 10
    labels[i] = label
    for (let p = 0; p < 784; p++) {
      const row = Math.floor(p / 28)
      const col = p % 28
      const on = Math.abs(col - (4 + 2 * label)) < 2 && row > 4 && row < 24
      images[i * 784 + p] = on
        ? 200 + Math.floor(rng.nextFloat() * 55)
        : Math.floor(rng.nextFloat() * 20)
    }
  }
  return { images, labels }
}

/** A temp folder holding train and test idx files of `count` synthetic images each. */
export function writeTinyMnist(count = 64): string {
  const dir = mkdtempSync(join(tmpdir(), 'digit-gan-mnist-'))
  for (const split of ['train', 'test'] as const) {
    const { images, labels } = syntheticMnist(count, split === 'train' ? 1 : 2)
    const idx = encodeIdx(images, labels)
    writeFileSync(join(dir, MNIST_FILES[split].images), idx.images)
    writeFileSync(join(dir, MNIST_FILES[split].labels), idx.labels)
  }
  return dir
}
