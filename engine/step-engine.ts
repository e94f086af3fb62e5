/**
 * @module engine/step-engine
 * The seam between the training loop and whatever computes GAN steps: the tfjs ops, the fused
 * WebGPU step, the fused WebAssembly step. The loop (trainer/train.ts) knows only this interface;
 * which engine runs is chosen in one place.
 *
 * Why this shape: a GPU engine wants to encode several steps per submit and to read the losses
 * back rarely, so `run` takes a step count and losses accumulate until `readLosses`. State crosses
 * the seam as named Float32Arrays, the currency of checkpoints, sample grids and export, so a
 * checkpoint written by one engine resumes on another.
 *
 * Runtime-free: no Node, no tfjs, no DOM.
 */

/**
 * Every tensor a run carries, by checkpoint name: `g.<tensor>` and `d.<tensor>` (weights and
 * BatchNorm moving statistics), `optG.m.g.<tensor>`, `optG.v.g.<tensor>`, `optD.m.d.<tensor>`,
 * `optD.v.d.<tensor>` (Adam moments of the trainable tensors), and `gAvg.g.<tensor>` (the weight
 * average of G, when `--ema` is on).
 */
export type NamedTensors = Map<string, Float32Array>

/** The whole state of a run at a step boundary. */
export interface EngineState {
  /** GAN steps completed (each: the D updates, then one G update). */
  step: number
  /** Adam step counts of the two optimizers. */
  optimizerSteps: { g: number; d: number }
  tensors: NamedTensors
}

/** Loss sums over `steps` GAN steps (each step's D figures already averaged over its D updates). */
export interface LossTotals {
  dLoss: number
  dAcc: number
  gLoss: number
  steps: number
}

/** A training engine: runs steps, accumulates losses, and hands its state over on demand. */
export interface StepEngine {
  /** One line for the log: the engine and what it runs on. */
  readonly description: string
  /** GAN steps completed. */
  readonly step: number
  /** Runs the next `n` GAN steps (n ≥ 1). */
  run(n: number): Promise<void>
  /** The loss sums since the previous read (then resets them); may wait for a device. */
  readLosses(): Promise<LossTotals>
  /** A copy of the whole state. */
  exportState(): Promise<EngineState>
  /** Replaces the whole state (same names and sizes as `exportState` gives). */
  importState(state: EngineState): Promise<void>
  /** Frees what the engine holds; the engine is unusable afterwards. */
  dispose(): void
}

/**
 * The loss sums an engine keeps between reads: `add` per GAN step, `take` on `readLosses`.
 * @example const losses = new LossSums(); losses.add(0.69, 0.5, 0.7); losses.take().steps // 1
 */
export class LossSums {
  private sums: LossTotals = { dLoss: 0, dAcc: 0, gLoss: 0, steps: 0 }

  /** Adds one GAN step's losses (D figures already averaged over its D updates). */
  add(dLoss: number, dAcc: number, gLoss: number): void {
    this.sums.dLoss += dLoss
    this.sums.dAcc += dAcc
    this.sums.gLoss += gLoss
    this.sums.steps += 1
  }

  /** The sums since the last take, then zero. */
  take(): LossTotals {
    const out = this.sums
    this.sums = { dLoss: 0, dAcc: 0, gLoss: 0, steps: 0 }
    return out
  }
}
