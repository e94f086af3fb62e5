/**
 * @module engine/cpu/ops
 * The instruction set of the fused CPU step: what one op record of a plan holds. The WAT generator
 * (engine/cpu/wat-*.ts) reads these records and the plan builder (engine/cpu/plan.ts) writes them,
 * both from the tables here, so the two cannot disagree about an argument's place.
 *
 * A plan is a sequence of 64-byte records in the module's memory: word 0 the opcode, words 1..15
 * the arguments (byte addresses and byte strides as i32, the named float arguments as f32). The
 * module's `run(plan, thread, threads)` executes the records in order; `barrier` waits until every
 * thread got there. Each other op splits its outputs into units that the threads claim
 * ({@link COUNTERS}), so that every output element (and every reduction) is computed by one thread
 * in one fixed order: the results are bit-identical at every thread count and every schedule.
 */

/**
 * Byte addresses of the barrier's words at the start of memory (engine/cpu/wat-module.ts): arrival
 * count, generation, threads asleep, polls before sleeping (written by the host), and `abort`: a
 * thread pool sets it (and wakes the sleepers) when a thread failed, so the others trap out of the
 * barrier instead of waiting forever. The host keeps memory below `end` for them.
 */
export const SYNC = { count: 0, generation: 4, sleepers: 8, spin: 12, abort: 16, end: 64 } as const

/** Bytes per op record. */
export const RECORD_BYTES = 64

/** Op records a plan (or a probe) may hold. */
export const PLAN_RECORDS = 512

/**
 * Each record's work counter lies this many bytes after the record (a plan's area is twice its
 * records): threads claim an op's units (panels, column blocks, feature groups, rows) by atomic
 * increments, so a thread that the OS pauses holds up one unit, not a fixed share. Which thread
 * computes a unit never changes its numbers. Thread 0 zeroes the counters at the plan's end.
 */
export const COUNTERS = PLAN_RECORDS * RECORD_BYTES

/** Epilogue of a matrix product, applied to each output element `y` (see {@link OPS}). */
export const ACT = {
  /** `y` (+ bias). */
  none: 0,
  /** LeakyReLU(y + bias) with slope `alpha`. */
  leakyRelu: 1,
  /** tanh(y + bias). */
  tanh: 2,
  /** `y · (p > 0 ? 1 : alpha)`: the LeakyReLU slope from the activation's output `p`. */
  leakyReluSlope: 3,
  /** `y · (1 − p²)`: the tanh slope from its output `p`. */
  tanhSlope: 4,
} as const

interface OpSpec {
  code: number
  args: readonly string[]
  /** The arguments stored as f32. */
  floats?: readonly string[]
}

/**
 * Every op: its code and arguments in record order.
 * - `gemmBcast`: `C[i, c] = act(Σ_k A(i, k) · B[k, c] + bias[c])`, A(i, k) at `a + i·sa + k·sk`
 *   (so `sa = 4` reads a transposed A), B rows `ldb` bytes apart, `n` a multiple of 4; k in order
 *   (in chunks that keep a panel of B in L1; each chunk continues the same sums).
 *   Units: 8-column panels.
 * - `gemmDot`: `C[i, c] = act(Σ_k A[i, k] · B[c, k] + bias[c])`, both operands row-major (B is the
 *   transposed right factor, e.g. a weight matrix read as Wᵀ), `k` a multiple of 4; each sum runs as
 *   four strided partial sums added `(s0 + s2) + (s1 + s3)`. Units: 4-column blocks.
 * - `colSum`: `out[c] = Σ_i Y[i, c]` in row order (bias gradients). Units: 4 columns.
 * - `bnForward`: BatchNorm over `rows` with batch statistics, then LeakyReLU; keeps mean and
 *   1/sqrt(var + ε) at `stats`, and with `movingMean ≠ 0` applies the Keras momentum update
 *   `moving · momentum + batch · rest`. Units: 4 features.
 * - `bnBackward`: the gradient through it (input `dy` at its output, after the activation slope). Units:
 *   4 features.
 * - `dLoss`, `gLoss`: the BCE heads on D's logits: loss (and accuracy) into `out`, the gradient
 *   at each logit into `grads`. One unit.
 * - `latents`: G's latents, `rows` rows of `cols` values, row r drawn from the seed at `seed`
 *   mixed with r (engine/cpu/wat-latent.ts). Units: rows.
 * - `adam`: Adam over `count` packed parameters (with the weight average when `avg ≠ 0`);
 *   `scalars` points at this update's `[lr / (1 − β1^t), 1 − β2^t]`. Units: 1024 parameters.
 *
 * Every `rest*` argument is `1 − x` computed in double and rounded once, as the tfjs path's
 * `tf.mul(t, 1 − x)` does; `1 − x` in float32 inside the module would round differently.
 */
export const OPS = {
  end: { code: 0, args: [] },
  barrier: { code: 1, args: [] },
  gemmBcast: {
    code: 2,
    args: [
      'a',
      'sa',
      'sk',
      'b',
      'ldb',
      'c',
      'ldc',
      'm',
      'k',
      'n',
      'bias',
      'act',
      'p',
      'ldp',
      'alpha',
    ],
    floats: ['alpha'],
  },
  gemmDot: {
    code: 3,
    args: ['a', 'lda', 'b', 'ldb', 'c', 'ldc', 'm', 'n', 'k', 'bias', 'act', 'p', 'ldp', 'alpha'],
    floats: ['alpha'],
  },
  colSum: { code: 4, args: ['y', 'ldy', 'm', 'n', 'out'] },
  bnForward: {
    code: 5,
    args: [
      'z',
      'a',
      'ld',
      'rows',
      'features',
      'gamma',
      'beta',
      'stats',
      'movingMean',
      'movingVariance',
      'epsilon',
      'momentum',
      'rest',
      'alpha',
    ],
    floats: ['epsilon', 'momentum', 'rest', 'alpha'],
  },
  bnBackward: {
    code: 6,
    args: ['z', 'dy', 'dx', 'ld', 'rows', 'features', 'gamma', 'stats', 'dgamma', 'dbeta'],
  },
  dLoss: { code: 7, args: ['logits', 'grads', 'half', 'target', 'out'], floats: ['target'] },
  gLoss: { code: 8, args: ['logits', 'grads', 'rows', 'out'] },
  adam: {
    code: 9,
    args: [
      'params',
      'grads',
      'm',
      'v',
      'count',
      'scalars',
      'beta1',
      'rest1',
      'beta2',
      'rest2',
      'epsilon',
      'avg',
      'decay',
      'restDecay',
    ],
    floats: ['beta1', 'rest1', 'beta2', 'rest2', 'epsilon', 'decay', 'restDecay'],
  },
  latents: { code: 10, args: ['out', 'ld', 'rows', 'cols', 'seed'] },
} as const satisfies Record<string, OpSpec>

export type OpName = keyof typeof OPS

/** The arguments of op `name`, by name. */
export type OpArgs<N extends OpName> = { [K in (typeof OPS)[N]['args'][number]]: number }

/** Byte offset of argument `arg` of op `name` inside its record. */
export function argOffset(name: OpName, arg: string): number {
  const i = (OPS[name].args as readonly string[]).indexOf(arg)
  if (i < 0) throw new Error(`Expected an argument of ${name}, but got '${arg}'.`)
  return 4 * (i + 1)
}

/** True when argument `arg` of op `name` is stored as f32. */
export function isFloatArg(name: OpName, arg: string): boolean {
  const floats: readonly string[] = (OPS[name] as OpSpec).floats ?? []
  return floats.includes(arg)
}
