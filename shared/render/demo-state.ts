/**
 * @module shared/render/demo-state
 * The demo page's state and its URL form, shared by the worker (which validates the query string
 * of `/` and renders the page from it) and the page script (which writes every change back into
 * the URL with `history.replaceState`, so the address bar always holds a shareable view).
 * DOM-free: it compiles for workerd and for the browser.
 *
 * Query form: `/?seed=42&digit=7&to=7&t=50&d1=-15&view=grid`; parameters at their default are left
 * out. `digit` exists only for conditional models (see shared/latent/condition).
 */
import type { Manifest } from '../model/weights'

/** Digit view: one 28×28 digit; grid view: 8 × 8 digits for seeds `seed … seed + 63`. */
export type View = 'digit' | 'grid'

/** Everything a view depends on. */
export interface DemoState {
  /** The seed of the digit (digit view) or of the grid's first digit. */
  seed: number
  /**
   * The digit a conditional model draws everywhere on the page; absent: each seed's own
   * (`seedLabel`), held along the walk from `seed` (as `/interpolate` does). Never set for an
   * unconditional model.
   */
  digit?: number
  /** The seed the interpolation slider walks to. */
  to: number
  /** Position along the walk from `seed` (0) to `to` (`T_MAX`). */
  t: number
  /** Offsets along the `DIRECTION_COUNT` latent directions, in tenths (−50..50 ⇒ −5.0..5.0). */
  directions: number[]
  view: View
}

export const VIEWS: readonly View[] = ['digit', 'grid']
/** Slider positions of the interpolation: t = position / T_MAX. */
export const T_MAX = 100
/** Sliders along fixed latent directions (see `latentDirection` in shared/render/interpolate). */
export const DIRECTION_COUNT = 4
/** Direction slider range in tenths of a unit step. */
export const DIRECTION_MAX = 50
/** Digits in the grid view. */
export const GRID_SIZE = 64
const TWO_POW_32 = 4294967296

/** The interpolation target when the URL names none: the next seed. */
export function defaultTarget(seed: number): number {
  return (seed + 1) % TWO_POW_32
}

/** Query parameter name of direction slider `k` (0-based): `d1` … `d4`. */
export function directionParam(k: number): string {
  return `d${k + 1}`
}

/**
 * The canonical query string of a state, without `?`: `seed` always, the rest only when not at
 * their defaults, in a fixed order.
 * @example
 * stateQuery({ seed: 42, to: 43, t: 0, directions: [0, 0, 0, 0], view: 'digit' }) // 'seed=42'
 */
export function stateQuery(state: DemoState): string {
  const parts = [`seed=${state.seed}`]
  if (state.digit !== undefined) parts.push(`digit=${state.digit}`)
  if (state.to !== defaultTarget(state.seed)) parts.push(`to=${state.to}`)
  if (state.t !== 0) parts.push(`t=${state.t}`)
  state.directions.forEach((d, k) => d !== 0 && parts.push(`${directionParam(k)}=${d}`))
  if (state.view !== 'digit') parts.push(`view=${state.view}`)
  return parts.join('&')
}

/**
 * A direction offset in tenths as the page shows it: `+1.5`, `−0.3` (a true minus), `0.0`.
 * @example formatDirection(-15) // '−1.5'
 */
export function formatDirection(tenths: number): string {
  const text = (Math.abs(tenths) / 10).toFixed(1)
  return tenths > 0 ? `+${text}` : tenths < 0 ? `−${text}` : text
}

/** What the page script reads from `<script id="demo-config">`. */
export interface DemoConfig {
  state: DemoState
  /** `/model/<sha256>.bin`: the payload, cached forever. */
  modelUrl: string
  manifest: Manifest
}
