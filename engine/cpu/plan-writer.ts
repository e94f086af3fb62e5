/**
 * @module engine/cpu/plan-writer
 * Appends op records (engine/cpu/ops.ts) to a plan's buffer, one after another: the opcode, then
 * each named argument at its place in the record (i32 or f32 as ops.ts declares it). Arguments left
 * out stay 0. engine/cpu/plan.ts writes the GAN step with it.
 */
import {
  OPS,
  PLAN_RECORDS,
  RECORD_BYTES,
  argOffset,
  isFloatArg,
  type OpArgs,
  type OpName,
} from './ops'

/** A plan being written: its records so far in a buffer of `PLAN_RECORDS` records. */
export class PlanWriter {
  readonly buffer = new ArrayBuffer(PLAN_RECORDS * RECORD_BYTES)
  private readonly words = new Int32Array(this.buffer)
  private readonly floats = new Float32Array(this.buffer)
  private count = 0

  /**
   * Appends op `name` with `args`.
   * @throws Error when the plan would leave no room for its `end`.
   */
  op<N extends OpName>(name: N, args: Partial<OpArgs<N>> = {}): void {
    if (this.count >= PLAN_RECORDS - 1) {
      throw new Error(`Expected at most ${PLAN_RECORDS} plan records.`)
    }
    const at = (this.count++ * RECORD_BYTES) / 4
    this.words[at] = OPS[name].code
    for (const [arg, value] of Object.entries(args) as [string, number | undefined][]) {
      if (value === undefined) continue
      const i = at + argOffset(name, arg) / 4
      if (isFloatArg(name, arg)) this.floats[i] = value
      else this.words[i] = value
    }
  }

  /** Waits for every thread: the ops after it may read what the ops before it wrote. */
  barrier(): void {
    this.op('barrier')
  }

  /** Closes the plan with `end` and returns its records. */
  end(): ArrayBuffer {
    this.op('end')
    return this.buffer
  }
}
