/**
 * @module web/train/try-model
 * "Try it": the model just exported, rendered in the page from the downloaded file's own bytes —
 * decoded and checked as the worker decodes a `.dgm` (shared/model/model-file.ts), drawn by the
 * demo page's renderer (web/engine.ts: the same latents, labels and grey mapping as `/generate`
 * and `/grid`). Nothing is uploaded: the explorer runs where the file was made.
 */
import { createGenerator } from '../../shared/inference/forward'
import type { KernelModule } from '../../shared/inference/kernel'
import { decodeModelFile } from '../../shared/model/model-file'
import { defaultTarget } from '../../shared/render/demo-state'
import { createEngine, type Engine } from '../engine'
import { drawGray } from './page-view'

/** The explorer of one downloaded model. */
export interface ModelView {
  /** Draws seed `seed` (one digit, or the 8 × 8 grid from it) on the canvas. */
  show(seed: number, grid: boolean): void
}

/**
 * Decodes `bytes` (a `.dgm`) and returns its explorer on `canvas`.
 * @throws WeightFormatError when the file does not validate.
 */
export function viewModel(
  bytes: Uint8Array,
  canvas: HTMLCanvasElement,
  kernel?: KernelModule,
): ModelView {
  const generator = createGenerator(decodeModelFile(bytes), { kernel })
  const engine: Engine = createEngine(generator, () => performance.now())
  return {
    show(seed, grid) {
      const frame = engine.render({
        seed,
        to: defaultTarget(seed),
        t: 0,
        directions: [0, 0, 0, 0],
        view: grid ? 'grid' : 'digit',
      })
      drawGray(canvas, frame.gray, frame.width, frame.height)
      canvas.dataset.rendered = `${seed}:${grid ? 'grid' : 'digit'}`
    },
  }
}
