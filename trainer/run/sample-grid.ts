/**
 * @module trainer/run/sample-grid
 * The 8×8 sample grid written during training: the same 64 latents every time (seeds 0..63 of
 * shared/latent/latent, the edge's sampler), rendered by the tfjs generator in inference mode (moving
 * BatchNorm statistics, as exported), so successive grids show one set of digits evolving. A
 * conditional G draws seed i as digit `seedLabel(i)` (i mod 10), as the edge does.
 */
import { join } from 'node:path'
import { toGray } from '../../shared/inference/gray'
import { tileGrid } from '../../shared/render/image'
import { sampleLatents } from '../../shared/latent/latent'
import { encodePng } from '../../shared/codec/png'
import { meanPairwiseDistance } from '../../shared/train/balance'
import { writeFileAtomic } from '../cli'
import { generateImages, seedLabels, type Gan } from '../core/gan'

export const GRID_SIDE = 8

/** A rendered grid and the diversity of its samples (mean pairwise L2 distance in [-1,1] units). */
export interface SampleGrid {
  png: Uint8Array
  diversity: number
}

/** Renders the fixed-latent 8×8 grid. */
export async function renderSampleGrid(gan: Gan): Promise<SampleGrid> {
  const n = GRID_SIDE * GRID_SIDE
  const [h, w] = gan.model.imageShape
  const z = sampleLatents(0, n, gan.model.latentDim)
  const images = await generateImages(gan, z, false, seedLabels(0, n, gan.classes))
  const size = h * w
  const tiles = Array.from({ length: n }, (_, i) =>
    toGray(images.subarray(i * size, (i + 1) * size)),
  )
  const grid = tileGrid(tiles, w, h, GRID_SIDE, 2)
  return {
    png: encodePng(grid.pixels, grid.width, grid.height, 1),
    diversity: meanPairwiseDistance(images, n, size),
  }
}

/** Writes `runDir/samples/step-XXXXXX.png` and returns the grid's diversity. */
export async function writeSampleGrid(runDir: string, gan: Gan, step: number): Promise<number> {
  const { png, diversity } = await renderSampleGrid(gan)
  writeFileAtomic(join(runDir, 'samples', `step-${String(step).padStart(6, '0')}.png`), png)
  return diversity
}
