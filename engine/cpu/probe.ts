/**
 * @module engine/cpu/probe
 * Benchmarks of the fused CPU step's matrix products (tools/bench-train.ts prints them), as op records
 * for `CpuEngine.probe`:
 * - {@link productsPlan}: the step's products alone, in the step's order with its barriers, so
 *   their time and GFLOPS can be told apart from everything else a step does;
 * - {@link ceilingPlan}: the same micro-kernels on operands that stay in L1, every thread on its own
 *   columns: the most this machine's cores do through WebAssembly SIMD, the ceiling the step's
 *   products are measured against.
 */
import type { StepLayout } from './layout'
import { argOffset, OPS, PLAN_RECORDS, RECORD_BYTES } from './ops'

const WORDS = RECORD_BYTES / 4

/** Floating-point operations (2 per multiply-add) of one gemm record, 0 for other ops. */
function recordFlops(words: Int32Array, at: number): number {
  const arg = (name: 'gemmBcast' | 'gemmDot', a: string) => words[at + argOffset(name, a) / 4]
  if (words[at] === OPS.gemmBcast.code) {
    return 2 * arg('gemmBcast', 'm') * arg('gemmBcast', 'k') * arg('gemmBcast', 'n')
  }
  if (words[at] === OPS.gemmDot.code) {
    return 2 * arg('gemmDot', 'm') * arg('gemmDot', 'k') * arg('gemmDot', 'n')
  }
  return 0
}

/** The products of a step plan (engine/cpu/plan.ts) and their floating-point operations. */
export function productsPlan(plan: ArrayBuffer): { records: ArrayBuffer; flops: number } {
  const words = new Int32Array(plan)
  const out = new Int32Array(words.length)
  let n = 0
  let flops = 0
  for (let at = 0; words[at] !== OPS.end.code; at += WORDS) {
    const f = recordFlops(words, at)
    if (f === 0 && words[at] !== OPS.barrier.code) continue
    out.set(words.subarray(at, at + WORDS), n)
    n += WORDS
    flops += f
  }
  // A plan ends after a barrier (the counters are reset there).
  out[n] = OPS.barrier.code
  return { records: out.buffer, flops }
}

/** Columns of B each thread owns in the ceiling product: 8 panels of 8. */
const COLUMNS = 64
const ROWS = 32
const DEPTH = 64

/**
 * `repeats` products `[32, 64] · [64, 64·threads]`, each thread on its own 64 columns (A: 8 KB,
 * its part of B: 16 KB, of C: 8 KB), in the engine's D gradient buffer (scratch between steps).
 * @throws RangeError if the scratch buffer is too small for `threads`.
 */
export function ceilingPlan(
  layout: StepLayout,
  threads: number,
  repeats: number,
): { records: ArrayBuffer; flops: number } {
  const n = COLUMNS * threads
  const a = layout.d.grads
  const b = a + ROWS * DEPTH * 4
  const c = b + DEPTH * n * 4
  if (c + ROWS * n * 4 > layout.d.grads + layout.d.net.params * 4) {
    throw new RangeError(`Expected a scratch buffer for ${threads} threads' ceiling product.`)
  }
  if (repeats + 2 > PLAN_RECORDS)
    throw new RangeError(`Expected at most ${PLAN_RECORDS - 2} repeats.`)
  const words = new Int32Array((repeats + 2) * WORDS)
  const args: Record<string, number> = {
    a,
    sa: DEPTH * 4,
    sk: 4,
    b,
    ldb: n * 4,
    c,
    ldc: n * 4,
    m: ROWS,
    k: DEPTH,
    n,
  }
  for (let r = 0; r < repeats; r++) {
    words[r * WORDS] = OPS.gemmBcast.code
    for (const [name, value] of Object.entries(args)) {
      words[r * WORDS + argOffset('gemmBcast', name) / 4] = value
    }
  }
  words[repeats * WORDS] = OPS.barrier.code
  words[(repeats + 1) * WORDS] = OPS.end.code
  return { records: words.buffer, flops: repeats * 2 * ROWS * DEPTH * n }
}
