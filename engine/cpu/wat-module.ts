/**
 * @module engine/cpu/wat-module
 * Assembles the fused CPU step's WebAssembly module text: an imported shared memory, the plan
 * executor `run(plan, thread, threads)`, the barrier between ops, and every op and micro-kernel
 * (engine/cpu/wat-gemm.ts, wat-ops.ts, wat-latent.ts, wat-math.ts). tools/build-cpu-step.ts writes this text to
 * engine/cpu/step.wat and assembles it into the committed engine/cpu/step.wasm.
 *
 * Synchronisation words at the start of memory (`SYNC` in engine/cpu/ops.ts): the barrier's arrival count and
 * generation, the number of threads asleep on it (so the last arrival calls `notify` only when
 * someone sleeps), and how many polls a waiting thread spins before it sleeps (set by the host).
 * A barrier orders memory: every write before it is visible to every thread after it (the atomic
 * read-modify-write and loads are sequentially consistent).
 */
import { COUNTERS, OPS, SYNC } from './ops'
import { gemmBcastOp, gemmDotOp, gemmKernels, gemmTypes } from './wat-gemm'
import { scalarMath, vectorMath } from './wat-math'
import { latentOps } from './wat-latent'
import { elementOps } from './wat-ops'
import { get, i32, indent, set } from './wat-text'

/** The op functions by opcode (ops.ts), for the executor's branch table. */
const HANDLERS: Record<number, string> = {
  [OPS.gemmBcast.code]: '$op_gemm_bcast',
  [OPS.gemmDot.code]: '$op_gemm_dot',
  [OPS.colSum.code]: '$op_col_sum',
  [OPS.bnForward.code]: '$op_bn_forward',
  [OPS.bnBackward.code]: '$op_bn_backward',
  [OPS.dLoss.code]: '$op_d_loss',
  [OPS.gLoss.code]: '$op_g_loss',
  [OPS.adam.code]: '$op_adam',
  [OPS.latents.code]: '$op_latents',
}

function barrier(): string {
  const { count, generation, sleepers, spin, abort } = SYNC
  return `(func $barrier (param $T i32)
    (local $g i32) (local $spin i32)
    (if (i32.le_u ${get('T')} ${i32(1)}) (then (return)))
    ;; read the generation before arriving: it cannot move until this thread has arrived
    ${set('g', `(i32.atomic.load ${i32(generation)})`)}
    (if (i32.eq (i32.atomic.rmw.add ${i32(count)} ${i32(1)}) (i32.sub ${get('T')} ${i32(1)}))
      (then
        (i32.atomic.store ${i32(count)} ${i32(0)})
        (i32.atomic.store ${i32(generation)} (i32.add ${get('g')} ${i32(1)}))
        (if (i32.atomic.load ${i32(sleepers)})
          (then (drop (memory.atomic.notify ${i32(generation)} ${i32(0x7fffffff)}))))
        (return)))
    ${set('spin', `(i32.load ${i32(spin)})`)}
    (block $passed
      (loop $poll
        (br_if $passed (i32.ne (i32.atomic.load ${i32(generation)}) ${get('g')}))
        (br_if $poll (i32.gt_s (local.tee $spin (i32.sub ${get('spin')} ${i32(1)})) ${i32(0)})))
      (drop (i32.atomic.rmw.add ${i32(sleepers)} ${i32(1)}))
      (loop $sleep
        (if (i32.atomic.load ${i32(abort)}) (then unreachable))
        (if (i32.eq (i32.atomic.load ${i32(generation)}) ${get('g')})
          (then
            (drop (memory.atomic.wait32 ${i32(generation)} ${get('g')} (i64.const -1)))
            (br $sleep))))
      (drop (i32.atomic.rmw.sub ${i32(sleepers)} ${i32(1)}))))`
}

/**
 * Zeroes the work counters of the records `[start, end)` (engine/cpu/ops.ts COUNTERS): thread 0
 * does it at the plan's end, after the last barrier, when no thread claims any more.
 */
function reset(): string {
  return `(func $reset (param $start i32) (param $end i32)
    (block $done (loop $record
      (br_if $done (i32.ge_u ${get('start')} ${get('end')}))
      (i32.atomic.store offset=${COUNTERS} ${get('start')} ${i32(0)})
      ${set('start', `(i32.add ${get('start')} ${i32(64)})`)}
      (br $record))))`
}

function executor(): string {
  const codes = Object.values(OPS).map((o) => o.code)
  const max = Math.max(...codes)
  const labels = Array.from({ length: max + 1 }, (_, c) => `$op${c}`)
  // Nested blocks: `br_table` leaves block $opN, and the code after it handles opcode N.
  let text = `(br_table ${labels.join(' ')} $bad (i32.load ${get('plan')}))`
  for (let c = 0; c <= max; c++) {
    text = `(block $op${c}\n  ${indent(text, 2).trimStart()})\n`
    if (c === OPS.end.code)
      text += `(if (i32.eqz ${get('t')}) (then (call $reset ${get('start')} ${get('plan')})))\n(return)`
    else if (c === OPS.barrier.code) text += `(call $barrier ${get('T')})\n(br $advance)`
    else if (HANDLERS[c])
      text += `(call ${HANDLERS[c]} ${get('plan')} ${get('t')} ${get('T')})\n(br $advance)`
    else text += 'unreachable'
  }
  return `(func (export "run") (param $plan i32) (param $t i32) (param $T i32)
    (local $start i32)
    ${set('start', get('plan'))}
    (loop $next
      (block $advance
        (block $bad
${indent(text, 10)})
        unreachable)
      ${set('plan', `(i32.add ${get('plan')} ${i32(64)})`)}
      (br $next)))`
}

/**
 * The whole module text; `fma` builds the opt-in variant whose products use relaxed SIMD's
 * multiply-add (engine/cpu/wat-gemm.ts). It exports the global `fma` (0 or 1) so an engine can say
 * which build it runs.
 * @example writeFileSync('engine/cpu/step.wat', generateStepWat({ fma: false }))
 */
export function generateStepWat({ fma }: { fma: boolean }): string {
  const name = fma ? 'step-fma' : 'step'
  return `;; @module engine/cpu/${name}.wat
;; GENERATED by tools/build-cpu-step.ts from engine/cpu/wat-*.ts: edit those, then run
;; \`npm run build:cpu-step\` (a test checks that this file and ${name}.wasm match the generator).
;; The fused CPU training step of the tutorial MLP GANs: a plan executor over a shared memory.${
    fma
      ? `
;; Opt-in build: products accumulate with f32x4.relaxed_madd (fused where the CPU can: bits depend
;; on the machine).`
      : ''
  }
(module
  (import "env" "memory" (memory 1 65536 shared))
  (global (export "fma") i32 (i32.const ${fma ? 1 : 0}))
  ${gemmTypes()}
  ${barrier()}
  ${reset()}
  ${executor()}
  ${gemmKernels(fma)}
  ${gemmBcastOp()}
  ${gemmDotOp()}
  ${elementOps()}
  ${latentOps()}
  ${vectorMath()}
  ${scalarMath()})
`
}
