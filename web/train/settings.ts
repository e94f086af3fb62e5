/**
 * @module web/train/settings
 * What a browser training run is: the model and seed chosen at its start, and the knobs a person
 * may turn while it runs (the tutorial's balance knobs, named as `npm run train`'s flags). A knob
 * turned mid-run is applied at the next step and logged (web/train/run-record.ts); the engine is
 * rebuilt from its exported state when it cannot change the knob in place.
 *
 * The fixed parts are the tutorial's (trainer/config.ts DEFAULT_CONFIG): Adam β1 0.5, β2 0.999,
 * BCE, no dropout, no weight average: what the fused engines implement.
 */
import { tutorialMlp } from '../../shared/model/presets'
import type { ModelSpec } from '../../shared/model/spec'

/** The models the page trains: the tutorial MLP GAN and its class-conditional form. */
export const TRAIN_MODELS = ['mlp', 'cgan'] as const
export type TrainModel = (typeof TRAIN_MODELS)[number]

/** Which engine to train on: WebGPU where an adapter exists (`auto`), or the one named. */
export const ENGINE_CHOICES = ['auto', 'webgpu', 'wasm'] as const
export type EngineChoice = (typeof ENGINE_CHOICES)[number]

/** The knobs that may change while a run trains. */
export interface Knobs {
  batch: number
  dSteps: number
  lrD: number
  lrG: number
  labelSmoothing: number
}

/** A run's settings: fixed at its start (model, seed, engine, threads), then the knobs. */
export interface TrainSettings extends Knobs {
  model: TrainModel
  /** uint32: the same seed, engine and knobs give the same weights (Node and browser alike). */
  seed: number
  engine: EngineChoice
  /**
   * Threads of the WebAssembly engine (0: one per core); the numbers are the same at any count.
   * More than one needs cross-origin isolation.
   */
  threads: number
}

/** The tutorial's values (trainer/config.ts DEFAULT_CONFIG). */
export const DEFAULT_SETTINGS: TrainSettings = {
  model: 'mlp',
  seed: 1337,
  engine: 'auto',
  threads: 0,
  batch: 64,
  dSteps: 1,
  lrD: 2e-4,
  lrG: 2e-4,
  labelSmoothing: 0,
}

/** Adam's β of both networks, as the tutorial (fixed: the page does not offer them). */
export const BETAS = { beta1: 0.5, beta2: 0.999 } as const

/** Most threads a run may ask for. */
export const MAX_THREADS = 16

/** MNIST's classes, the conditional model's labels. */
const CLASSES = 10

/** One knob's range and the `npm run train` flag it stands for. */
interface KnobRange {
  min: number
  max: number
  integer: boolean
  flag: string
}

/** Every knob's range: the page's inputs carry them, the worker checks them again. */
export const KNOB_RANGES: Record<keyof Knobs, KnobRange> = {
  batch: { min: 1, max: 512, integer: true, flag: '--batch' },
  dSteps: { min: 1, max: 10, integer: true, flag: '--d-steps' },
  lrD: { min: 1e-6, max: 0.1, integer: false, flag: '--lr-d' },
  lrG: { min: 1e-6, max: 0.1, integer: false, flag: '--lr-g' },
  labelSmoothing: { min: 0, max: 0.5, integer: false, flag: '--label-smoothing' },
}

/** The knob names, in the order the page lists them. */
export const KNOB_NAMES = Object.keys(KNOB_RANGES) as (keyof Knobs)[]

/** A setting outside its range; the message says which and what was expected. */
export class SettingsError extends Error {
  override name = 'SettingsError'
}

/**
 * `settings` checked: every knob within its range, a known model and engine, a uint32 seed.
 * @throws SettingsError "Expected X, but got Y." for the first bad value.
 */
export function checkSettings(settings: TrainSettings): TrainSettings {
  if (!TRAIN_MODELS.includes(settings.model)) {
    throw new SettingsError(`Expected the model mlp or cgan, but got ${String(settings.model)}.`)
  }
  if (!ENGINE_CHOICES.includes(settings.engine)) {
    throw new SettingsError(
      `Expected the engine auto, webgpu or wasm, but got ${String(settings.engine)}.`,
    )
  }
  const seed = settings.seed
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new SettingsError(
      `Expected the seed to be an integer in [0, 4294967295], but got ${seed}.`,
    )
  }
  const { threads } = settings
  if (!Number.isInteger(threads) || threads < 0 || threads > MAX_THREADS) {
    throw new SettingsError(
      `Expected threads to be an integer in [0, ${MAX_THREADS}] (0: one per core), but got ${threads}.`,
    )
  }
  checkKnobs(settings)
  return settings
}

/**
 * Checks the knobs present in `knobs`.
 * @throws SettingsError for the first one out of its range.
 */
export function checkKnobs(knobs: Partial<Knobs>): void {
  for (const name of KNOB_NAMES) {
    const value = knobs[name]
    if (value === undefined) continue
    const r = KNOB_RANGES[name]
    const ok =
      typeof value === 'number' &&
      value >= r.min &&
      value <= r.max &&
      (!r.integer || Number.isInteger(value))
    if (!ok) {
      const kind = r.integer ? 'an integer' : 'a number'
      throw new SettingsError(
        `Expected ${name} (${r.flag}) to be ${kind} in [${r.min}, ${r.max}], but got ${value}.`,
      )
    }
  }
}

/** The knobs that differ between `from` and `to`, with their new values. */
export function changedKnobs(from: Knobs, to: Partial<Knobs>): Partial<Knobs> {
  const out: Partial<Knobs> = {}
  for (const name of KNOB_NAMES) {
    const value = to[name]
    if (value !== undefined && value !== from[name]) out[name] = value
  }
  return out
}

/**
 * The model spec a setting trains, as trainer/core/architecture.ts builds it for `--model`.
 * @example modelSpec('cgan').name // 'cgan-mlp'
 */
export function modelSpec(model: TrainModel): ModelSpec {
  return tutorialMlp(model === 'cgan' ? { classes: CLASSES } : {})
}

/**
 * The engines' training options (engine/cpu's CpuEngineOptions, engine/webgpu's plan options):
 * the knobs, the seed and the fixed tutorial parts.
 */
export function engineOptions(settings: TrainSettings) {
  return {
    batch: settings.batch,
    seed: settings.seed,
    dSteps: settings.dSteps,
    lrD: settings.lrD,
    lrG: settings.lrG,
    labelSmoothing: settings.labelSmoothing,
    ...BETAS,
    ema: 0,
    loss: 'bce',
    dDropout: 0,
  }
}
