/**
 * @module edge/microbench
 * Per-image cost of the serving path, split into its stages, with the same code in Node
 * (tools/bench-edge.ts) and inside workerd (`GET /__bench/render`).
 *
 * Clocks: deployed Workers freeze `performance.now()`/`Date.now()` during CPU work (they only
 * advance on I/O, a Spectre mitigation), so this reports 0 there. Local workerd (`wrangler dev`)
 * runs real clocks; averaging over many images keeps its millisecond granularity irrelevant.
 */
import { seedLabel } from '../shared/latent/condition'
import type { Generator } from '../shared/inference/forward'
import { sampleLatent } from '../shared/latent/latent'
import { encodePng } from '../shared/codec/png'
import { renderDigitPng, renderGridPng } from '../shared/render/render'

/** Milliseconds per image for each stage, averaged over `images` seeds. */
export interface RenderTiming {
  images: number
  /** `sampleLatent` + `generator.runGray`. */
  forwardMs: number
  /** `encodePng` of the 28×28 grey image. */
  pngMs: number
  /** `renderDigitPng(generator, seed, 1)`: what `/generate?seed=` runs. */
  renderMs: number
  /** The largest grid, `/grid?n=64&scale=16` (1792 × 1792 px), per request. */
  gridMs: number
  /** Sum of the PNG sizes, so the work cannot be optimized away. */
  bytes: number
}

/**
 * Times `images` digits (seeds 0…images−1) stage by stage, then end to end, then the largest
 * grid (`images / 200` of them, at least one).
 * @example measureRender(generator, 1000, () => performance.now()).renderMs
 */
export function measureRender(
  generator: Generator,
  images: number,
  now: () => number,
): RenderTiming {
  const gray: Uint8Array[] = []
  let bytes = 0
  const t0 = now()
  for (let seed = 0; seed < images; seed++) {
    const label = seedLabel(seed, generator.classes)
    gray.push(generator.runGray(sampleLatent(seed, generator.latentDim), label))
  }
  const t1 = now()
  for (const pixels of gray) bytes += encodePng(pixels, 28, 28).byteLength
  const t2 = now()
  for (let seed = 0; seed < images; seed++) bytes += renderDigitPng(generator, seed, 1).byteLength
  const t3 = now()
  const grids = Math.max(1, Math.round(images / 200))
  for (let i = 0; i < grids; i++) bytes += renderGridPng(generator, i * 64, 64, 16).byteLength
  const t4 = now()
  return {
    images,
    forwardMs: (t1 - t0) / images,
    pngMs: (t2 - t1) / images,
    renderMs: (t3 - t2) / images,
    gridMs: (t4 - t3) / grids,
    bytes,
  }
}
