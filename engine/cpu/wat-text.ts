/**
 * @module engine/cpu/wat-text
 * Small helpers for writing WAT from TypeScript: locals, loads of op-record arguments, float
 * constants that round-trip exactly, and the claiming of work units that every op uses. The generator (engine/cpu/wat-*.ts) composes the module text from these.
 */
import { argOffset, COUNTERS, isFloatArg, OPS, type OpName } from './ops'

/** `(local.get $x)` */
export const get = (x: string) => `(local.get $${x})`

/** `(local.set $x v)` */
export const set = (x: string, v: string) => `(local.set $${x} ${v})`

/** `(i32.const n)` */
export const i32 = (n: number) => `(i32.const ${n | 0})`

/** An f32 constant written as its exact bits, so the .wat says precisely which float is meant. */
export function f32(x: number): string {
  const v = Math.fround(x)
  if (!Number.isFinite(v)) throw new Error(`Expected a finite constant, but got ${x}.`)
  const bits = new Uint32Array(new Float32Array([v]).buffer)[0]
  return `(f32.reinterpret_i32 (i32.const 0x${bits.toString(16)})) (; ${v} ;)`
}

/** An f64 constant written as its exact bits. */
export function f64(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`Expected a finite constant, but got ${x}.`)
  const words = new Uint32Array(new Float64Array([x]).buffer)
  const hex = `${words[1].toString(16).padStart(8, '0')}${words[0].toString(16).padStart(8, '0')}`
  return `(f64.reinterpret_i64 (i64.const 0x${hex})) (; ${x} ;)`
}

/** An f32x4 splat of `x` (all lanes the same float). */
export const splat = (x: number) => `(f32x4.splat ${f32(x)})`

/** Local declarations: `decl('i32', ['a', 'b'])` → `(local $a i32) (local $b i32)`. */
export function decl(type: 'i32' | 'f32' | 'f64' | 'v128', names: string[]): string {
  return names.map((n) => `(local $${n} ${type})`).join(' ')
}

/**
 * Loads every argument of op `name` (its table in engine/cpu/ops.ts) from its record (`$rec`) into
 * locals of the same names.
 */
export function loadArgs(name: OpName): { decls: string; loads: string } {
  const args = OPS[name].args
  const decls = args.map((a) => `(local $${a} ${isFloatArg(name, a) ? 'f32' : 'i32'})`).join(' ')
  const loads = args
    .map((a) => {
      const type = isFloatArg(name, a) ? 'f32' : 'i32'
      return set(a, `(${type}.load offset=${argOffset(name, a)} ${get('rec')})`)
    })
    .join('\n    ')
  return { decls, loads }
}

/**
 * Sets `$to` to the op's number of work units; {@link claim} then hands this thread the next
 * unclaimed one in `$from` (engine/cpu/ops.ts COUNTERS).
 */
export function units(count: string): string {
  return set('to', count)
}

/** Claims the op's next unit into `$from` (past `$to` when none is left). */
export function claim(): string {
  return set('from', `(i32.atomic.rmw.add offset=${COUNTERS} ${get('rec')} ${i32(1)})`)
}

/** Indents every line of `text` by `n` spaces (keeps the generated module readable). */
export function indent(text: string, n: number): string {
  const pad = ' '.repeat(n)
  return text
    .split('\n')
    .map((l) => (l.length > 0 ? pad + l : l))
    .join('\n')
}
