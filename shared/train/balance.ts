/**
 * @module shared/train/balance
 * The tutorial's §IV diagnostics as pure functions over the recent metrics: each warning says
 * what it saw and which remedy to try. The Node training loop (trainer/train.ts) prints them, the
 * browser training page (web/train/) shows them beside its knobs; tests feed synthetic histories.
 * Runtime-free, so both share one copy.
 */

/** One logged point (losses averaged over the log interval). */
export interface BalancePoint {
  step: number
  dLoss: number
  dAcc: number
  gLoss: number
  /** Mean pairwise L2 distance of the fixed-latent sample grid, when one was rendered. */
  diversity?: number
}

export type BalanceCode = 'd-too-strong' | 'g-loss-rising' | 'g-loss-stalled' | 'diversity-collapse'

export interface BalanceWarning {
  code: BalanceCode
  message: string
}

/** Thresholds; the defaults suit the tutorial MLP with BCE. */
export interface BalanceOptions {
  loss: 'bce' | 'wgan-gp'
  /** Logged points a trend must span. */
  window: number
  /** D loss below this on every point of the window counts as "near 0". */
  dLossFloor: number
  /** G loss growing by more than this factor over the window counts as rising. */
  gRiseFactor: number
  /** G loss moving less than this (max − min) over the window counts as stalled. */
  gStallRange: number
  /** Diversity below this fraction of its best value counts as collapse. */
  diversityDrop: number
}

export const DEFAULT_BALANCE: BalanceOptions = {
  loss: 'bce',
  window: 10,
  dLossFloor: 0.05,
  gRiseFactor: 2,
  gStallRange: 1e-3,
  diversityDrop: 0.5,
}

const fmt = (x: number): string => x.toFixed(4)

/** Least-squares slope of `ys` against their index. */
export function slope(ys: number[]): number {
  const n = ys.length
  if (n < 2) return 0
  const mx = (n - 1) / 2
  const my = ys.reduce((a, b) => a + b, 0) / n
  let num = 0
  let den = 0
  ys.forEach((y, i) => {
    num += (i - mx) * (y - my)
    den += (i - mx) ** 2
  })
  return num / den
}

/** D loss near 0 for the whole window: D wins and G's gradients vanish (BCE only). */
export function checkDiscriminatorTooStrong(
  history: BalancePoint[],
  o = DEFAULT_BALANCE,
): BalanceWarning | undefined {
  if (o.loss !== 'bce' || history.length < o.window) return undefined
  const recent = history.slice(-o.window)
  if (!recent.every((p) => p.dLoss < o.dLossFloor)) return undefined
  const max = Math.max(...recent.map((p) => p.dLoss))
  return {
    code: 'd-too-strong',
    message:
      `D loss has stayed below ${o.dLossFloor} (max ${fmt(max)}) since step ${recent[0].step}: the discriminator ` +
      'is too strong and G gets no gradient. Try fewer D updates (--d-steps 1), a lower --lr-d, ' +
      '--d-dropout 0.3, --label-smoothing 0.1, or --loss wgan-gp.',
  }
}

/** G loss rising steadily across the window: D is pulling away (BCE only). */
export function checkGeneratorRising(
  history: BalancePoint[],
  o = DEFAULT_BALANCE,
): BalanceWarning | undefined {
  if (o.loss !== 'bce' || history.length < o.window) return undefined
  const g = history.slice(-o.window).map((p) => p.gLoss)
  const rising = slope(g) > 0 && g[g.length - 1] > o.gRiseFactor * Math.max(g[0], 1e-6)
  if (!rising) return undefined
  return {
    code: 'g-loss-rising',
    message:
      `G loss keeps rising (${fmt(g[0])} → ${fmt(g[g.length - 1])} over ${o.window} logs): D is overpowering G. ` +
      'Try a lower --lr-d or higher --lr-g, --label-smoothing 0.1, --d-dropout 0.3, or --loss wgan-gp.',
  }
}

/** G loss flat across the window: G has stopped learning. */
export function checkGeneratorStalled(
  history: BalancePoint[],
  o = DEFAULT_BALANCE,
): BalanceWarning | undefined {
  if (history.length < o.window) return undefined
  const g = history.slice(-o.window).map((p) => p.gLoss)
  const range = Math.max(...g) - Math.min(...g)
  if (range >= o.gStallRange) return undefined
  return {
    code: 'g-loss-stalled',
    message:
      `G loss has not moved (range ${range.toExponential(1)} over ${o.window} logs at ${fmt(g[g.length - 1])}): ` +
      'G has stopped learning. Check --lr-g (too low, or so high it diverged), give G more updates ' +
      'relative to D (--d-steps 1), or switch to --loss wgan-gp for gradients that do not vanish.',
  }
}

/** Sample diversity fell well below its best: mode collapse. */
export function checkDiversity(
  history: BalancePoint[],
  o = DEFAULT_BALANCE,
): BalanceWarning | undefined {
  const d = history.filter((p) => p.diversity !== undefined) as Required<BalancePoint>[]
  if (d.length < 2) return undefined
  const best = Math.max(...d.map((p) => p.diversity))
  const last = d[d.length - 1]
  if (!(last.diversity < o.diversityDrop * best)) return undefined
  return {
    code: 'diversity-collapse',
    message:
      `Sample diversity fell to ${fmt(last.diversity)} at step ${last.step} (best ${fmt(best)}): G is collapsing ` +
      'onto a few modes. Try --loss wgan-gp, --d-dropout 0.3, --label-smoothing 0.1, or a lower --lr-g.',
  }
}

/**
 * Every warning that applies to the history (oldest first, latest last).
 * @example checkBalance(points, { ...DEFAULT_BALANCE, loss: config.loss })
 */
export function checkBalance(
  history: BalancePoint[],
  options: Partial<BalanceOptions> = {},
): BalanceWarning[] {
  const o = { ...DEFAULT_BALANCE, ...options }
  return [checkDiscriminatorTooStrong, checkGeneratorRising, checkGeneratorStalled, checkDiversity]
    .map((check) => check(history, o))
    .filter((w): w is BalanceWarning => w !== undefined)
}

/**
 * Mean pairwise Euclidean distance between images (`n` rows of `size` values): a cheap proxy for
 * sample diversity that drops when G maps different latents to the same digit.
 */
export function meanPairwiseDistance(images: Float32Array, n: number, size: number): number {
  let total = 0
  let pairs = 0
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0
      for (let p = 0; p < size; p++) {
        const d = images[i * size + p] - images[j * size + p]
        s += d * d
      }
      total += Math.sqrt(s)
      pairs++
    }
  }
  return pairs === 0 ? 0 : total / pairs
}
