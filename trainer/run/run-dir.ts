/**
 * @module trainer/run/run-dir
 * The run folder: choosing and checking `--out`, `config.json`, `metrics.jsonl`, and merging a
 * resumed run's saved config with the new command line. Everything here validates before the
 * first write, so a bad command leaves an existing run untouched.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { assertWritableDir, UsageError, writeFileAtomic } from '../cli'
import { DEFAULT_CONFIG, RUN_DEFINING_KEYS, type TrainConfig } from '../config'

export const METRICS_FILE = 'metrics.jsonl'
export const CONFIG_FILE = 'config.json'

/** One line of metrics.jsonl: means over the log interval ending at `step`. */
export interface MetricsRecord {
  step: number
  dLoss: number
  dAcc: number
  gLoss: number
  msPerStep: number
  imagesSeen: number
  elapsedSec: number
  /** Mean pairwise distance of the fixed-latent grid, when one was rendered at this step. */
  diversity?: number
  warnings?: string[]
}

const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)

/** `runs/2026-01-31T12-00-00`: the default `--out`. */
export function defaultRunDir(now = new Date()): string {
  return join('runs', now.toISOString().slice(0, 19).replace(/:/g, '-'))
}

/**
 * The config of a resumed run: the checkpoint's run-defining values (an explicit flag that
 * disagrees is a UsageError), with run-shaping flags (steps, logging, backend, out …) from the
 * new command line.
 */
export function resumeConfig(
  saved: TrainConfig,
  explicit: Partial<TrainConfig>,
  resumeDir: string,
): TrainConfig {
  // Checkpoints from before a key existed hold its default (e.g. `model: 'mlp'`, `ema: 0`).
  saved = { ...DEFAULT_CONFIG, ...saved }
  for (const key of RUN_DEFINING_KEYS) {
    const given = explicit[key]
    if (given !== undefined && given !== saved[key]) {
      throw new UsageError(
        `Expected --${kebab(key)} to match the checkpoint in ${resumeDir} (${JSON.stringify(saved[key])}), ` +
          `but got ${JSON.stringify(given)}; start a new run with another --out to change it.`,
      )
    }
  }
  const shaping = Object.fromEntries(
    Object.entries(explicit).filter(([k]) => !(RUN_DEFINING_KEYS as readonly string[]).includes(k)),
  ) as Partial<TrainConfig>
  const config: TrainConfig = {
    ...saved,
    ...shaping,
    resume: resumeDir,
    out: explicit.out ?? resumeDir,
  }
  if (explicit.steps !== undefined) config.epochs = 0
  return config
}

/**
 * Makes sure `out` can hold a run: creatable, writable, and (for a fresh run) not already
 * holding one. Throws a UsageError naming the folder otherwise. Creates nothing: the folder
 * appears with the run's first file (`writeConfig`), after every check has passed, so a run that
 * fails its checks (a backend without an adapter, say) leaves no empty folder behind.
 */
export function prepareRunDir(out: string, resuming: boolean): void {
  if (
    existsSync(out) &&
    statSync(out).isDirectory() &&
    !resuming &&
    readdirSync(out).some((f) => ['checkpoint', 'generator', METRICS_FILE].includes(f))
  ) {
    throw new UsageError(
      `Expected --out ${out} to be new or empty, but it holds a run; continue it with --resume ${out} or pick another --out.`,
    )
  }
  assertWritableDir('out', out)
}

/** Writes the resolved config next to the outputs. */
export function writeConfig(out: string, config: TrainConfig, backend: string): void {
  writeFileAtomic(
    join(out, CONFIG_FILE),
    `${JSON.stringify({ ...config, resolvedBackend: backend }, null, 2)}\n`,
  )
}

/** Reads metrics.jsonl (missing: empty); lines that do not parse are skipped. */
export function readMetricsFile(dir: string): MetricsRecord[] {
  const path = join(dir, METRICS_FILE)
  if (!existsSync(path)) return []
  const out: MetricsRecord[] = []
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue
    try {
      out.push(JSON.parse(line) as MetricsRecord)
    } catch {
      // A line cut short by a crash mid-append; the checkpoint decides what counts anyway.
    }
  }
  return out
}

/** Rewrites metrics.jsonl keeping records up to `step` (a resume replays what came after). */
export function truncateMetrics(fromDir: string, toDir: string, step: number): MetricsRecord[] {
  const kept = readMetricsFile(fromDir).filter((r) => r.step <= step)
  writeFileAtomic(join(toDir, METRICS_FILE), kept.map((r) => `${JSON.stringify(r)}\n`).join(''))
  return kept
}

/** Appends one record to metrics.jsonl. */
export function appendMetrics(out: string, record: MetricsRecord): void {
  writeFileSync(join(out, METRICS_FILE), `${JSON.stringify(record)}\n`, { flag: 'a' })
}
