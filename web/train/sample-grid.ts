/**
 * @module web/train/sample-grid
 * The training page's fixed-latent sample grid, as `npm run train` writes it
 * (trainer/run/sample-grid.ts): the same 64 latents every time (seeds 0..63 of
 * shared/latent/latent.ts, a conditional G drawing seed i as digit i mod 10), rendered by the
 * shared inference engine in inference mode (moving BatchNorm statistics) from the engine's
 * exported state, so successive grids show one set of digits evolving. Its diversity (mean
 * pairwise distance) feeds the balance monitor's collapse check (shared/train/balance.ts).
 */
import type { EngineState } from '../../engine/step-engine'
import { createGenerator } from '../../shared/inference/forward'
import { toGray } from '../../shared/inference/gray'
import type { KernelModule } from '../../shared/inference/kernel'
import { seedLabel } from '../../shared/latent/condition'
import { sampleLatent } from '../../shared/latent/latent'
import type { ModelSpec } from '../../shared/model/spec'
import { decodeWeights, encodeWeights } from '../../shared/model/weights'
import { tileGrid } from '../../shared/render/image'
import { meanPairwiseDistance } from '../../shared/train/balance'
import { generatorTensors } from './export-model'

/** Digits per side of the grid. */
export const GRID_SIDE = 8

/** A rendered grid: 8-bit grey pixels and the diversity of its samples. */
export interface SampleGrid {
  gray: Uint8Array
  width: number
  height: number
  /** Mean pairwise L2 distance of the 64 images, pixels in [−1, 1]. */
  diversity: number
}

/**
 * Renders the grid of G in `state` (its weight average when kept, as the export ships).
 * @throws WeightFormatError when the weights are not finite (a diverged run).
 */
export function renderSampleGrid(
  model: ModelSpec,
  state: EngineState,
  kernel?: KernelModule,
): SampleGrid {
  const tensors = generatorTensors(model, state)
  // Encoded and decoded as float32: the generator is built from exactly what an export checks.
  const { manifest, payload } = encodeWeights(model, tensors, { dtype: 'f32', compress: false })
  const generator = createGenerator(decodeWeights(manifest, payload), { kernel })
  const n = GRID_SIDE * GRID_SIDE
  const size = generator.outputSize
  const side = Math.round(Math.sqrt(size))
  const images = new Float32Array(n * size)
  for (let i = 0; i < n; i++) {
    images.set(
      generator.run(sampleLatent(i, model.latentDim), seedLabel(i, generator.classes)),
      i * size,
    )
  }
  const tiles = Array.from({ length: n }, (_, i) =>
    toGray(images.subarray(i * size, (i + 1) * size)),
  )
  const grid = tileGrid(tiles, side, side, GRID_SIDE, 2)
  return {
    gray: grid.pixels,
    width: grid.width,
    height: grid.height,
    diversity: meanPairwiseDistance(images, n, size),
  }
}
