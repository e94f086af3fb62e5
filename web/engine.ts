/**
 * @module web/engine
 * Renders a demo state with the shared TypeScript engine — the same latents, labels, forward pass
 * and grey mapping as the worker — into an 8-bit grey image. DOM-free; the page script puts the
 * result on a canvas. At the default walk and direction offsets the digit view equals
 * `/generate?seed=…[&digit=…]` and the grid view equals `/grid?seed=…&n=64[&digit=…]`, pixel for
 * pixel; along the walk the digit view holds one digit, as `/interpolate` does.
 */
import { seedLabel } from '../shared/latent/condition'
import type { Generator } from '../shared/inference/forward'
import { tileGrid } from '../shared/render/image'
import { latentDirection, moveAlong, slerp } from '../shared/render/interpolate'
import { sampleLatent } from '../shared/latent/latent'
import { DIRECTION_COUNT, GRID_SIZE, T_MAX } from '../shared/render/demo-state'
import type { DemoState } from '../shared/render/demo-state'

/** One rendered view and what it cost. */
export interface Frame {
  /** Row-major grey pixels, `width · height` bytes. */
  gray: Uint8Array
  width: number
  height: number
  /** Digits generated for this frame (1 or 64). */
  images: number
  /** Wall time of the whole render, in milliseconds. */
  ms: number
}

/** Renders demo states with one generator. */
export interface Engine {
  render(state: DemoState): Frame
}

const TWO_POW_32 = 4294967296
const GRID_COLUMNS = Math.sqrt(GRID_SIZE)

/**
 * Builds the renderer; `now` is the clock for `Frame.ms` (`performance.now` in the page).
 * @example
 * const engine = createEngine(generator, () => performance.now())
 * const { gray, width, height } = engine.render(state)
 */
export function createEngine(generator: Generator, now: () => number): Engine {
  const dim = generator.latentDim
  const side = Math.round(Math.sqrt(generator.outputSize))
  const directions = Array.from({ length: DIRECTION_COUNT }, (_, k) => latentDirection(k, dim))
  return {
    render(state) {
      const start = now()
      const count = state.view === 'grid' ? GRID_SIZE : 1
      const amounts = state.directions.map((tenths) => tenths / 10)
      const moved = amounts.some((a) => a !== 0)
      const tiles: Uint8Array[] = []
      for (let i = 0; i < count; i++) {
        const seed = (state.seed + i) % TWO_POW_32
        // A conditional model: the chosen digit, else this tile's start seed picks it (and keeps
        // it along the walk); undefined for an unconditional model.
        const label = state.digit ?? seedLabel(seed, generator.classes)
        let z = sampleLatent(seed, dim)
        if (state.t !== 0) {
          z = slerp(z, sampleLatent((state.to + i) % TWO_POW_32, dim), state.t / T_MAX)
        }
        if (moved) z = moveAlong(z, directions, amounts)
        tiles.push(generator.runGray(z, label))
      }
      const image =
        count === 1
          ? { pixels: tiles[0], width: side, height: side }
          : tileGrid(tiles, side, side, GRID_COLUMNS, 0, 1)
      const ms = now() - start
      return { gray: image.pixels, width: image.width, height: image.height, images: count, ms }
    },
  }
}
