/**
 * @module engine/cpu/wat-gemm
 * The matrix products of the fused CPU step as WAT: unrolled, register-blocked SIMD micro-kernels
 * generated here (so no tile shape is hand-copied) and the two ops that walk a product's tiles.
 *
 * - `gemmBcast` (forward `X·W` and weight gradient `Xᵀ·dY`): a tile of up to 4 rows × 8 columns in
 *   8 f32x4 accumulators; per k, one scalar of A per row is broadcast (`v128.load32_splat`) against
 *   two vectors of a row of B. A is read through two strides, so the weight gradient reads Xᵀ
 *   without a transposed copy: rows mode (A's k contiguous: one pointer per row) and columns mode
 *   (A's rows contiguous: one pointer, immediate offsets).
 * - `gemmDot` (input gradient `dY·Wᵀ`): a tile of up to 2 rows × 4 columns, each output a dot
 *   product of two contiguous rows (a row of dY and a row of W), accumulated as four lanes; the
 *   four lanes of four outputs are added by a transpose, so a row of the tile is one vector store.
 *
 * Arithmetic: f32x4.mul then f32x4.add, each output's sum in one fixed order that the tile shape
 * and the thread split do not change: the same bits on every machine. The opt-in FMA build
 * (`fma: true`, engine/cpu/step-fma.wasm) accumulates with relaxed SIMD's `f32x4.relaxed_madd`
 * instead: one rounding per step where the CPU fuses it (x86 with FMA3, ARM), two where it does
 * not, so its bits depend on the machine (still the same at every thread count on one machine). Epilogues (bias, LeakyReLU, tanh, activation slopes) are applied to the accumulators
 * before the single store, see `ACT` in engine/cpu/ops.ts.
 */
import { ACT } from './ops'
import { claim, decl, f32, get, i32, loadArgs, set, units } from './wat-text'

/** Rows and vectors of the largest broadcast tile, and its shapes in table order. */
const BC_ROWS = 4
const BC_VECTORS = 2
/**
 * Steps of k per pass over a group of panels (BC_GROUP): 128 rows of two adjacent 8-column panels
 * are 128 cache lines (8 KB), which stay in L1 while every row tile of A streams past them. (One
 * panel at 256 steps measured the same alone; two panels at 256 steps, 16 KB of B plus A's tiles,
 * ran 2× slower; two at 128 were 1–5 % faster over the whole step.) In columns mode each step of k
 * also reads a line of A (a row of X, 4 of whose values the tile uses), so its chunks are shorter:
 * 64 measured best (~75 → ~83 % of the SIMD ceiling for D's first weight gradient at batch 256).
 */
const K_CHUNK = 128
const K_CHUNK_COLS = 64
/** 8-column panels per claimed unit of `gemmBcast` (see {@link gemmBcastOp}). */
const BC_GROUP = 2
/** Rows and columns of the largest dot tile. */
const DOT_ROWS = 2
const DOT_COLUMNS = 4
/** 4-column blocks per claimed unit of `gemmDot` (see {@link gemmDotOp}). */
const DOT_GROUP = 4

const MICRO_PARAMS = (names: string[]) =>
  names.map((n) => `(param $${n} ${n === 'alpha' ? 'f32' : 'i32'})`).join(' ')

const BC_PARAMS = [
  'a',
  'sa',
  'sk',
  'b',
  'ldb',
  'c',
  'ldc',
  'k',
  'bias',
  'act',
  'p',
  'ldp',
  'alpha',
  'load',
]
const DOT_PARAMS = ['a', 'lda', 'b', 'ldb', 'c', 'ldc', 'k', 'bias', 'act', 'p', 'ldp', 'alpha']

/** The types of the micro-kernel tables (for `call_indirect`). */
export function gemmTypes(): string {
  return `(type $bc_tile (func ${MICRO_PARAMS(BC_PARAMS)}))
  (type $dot_tile (func ${MICRO_PARAMS(DOT_PARAMS)}))`
}

/**
 * The epilogue of a tile: `acc` names its accumulators by [row][vector]; `out(i, j, v)` stores
 * vector v. Bias (added when `$bias ≠ 0`), then the activation `$act` (ops.ts `ACT`), whose slope
 * forms read the activation output through `$p` (rows `$ldp` bytes apart).
 */
function epilogue(acc: string[][], pRow: (i: number) => string): string {
  const cells = acc.flatMap((row, i) => row.map((name, j) => ({ name, i, j })))
  const each = (f: (name: string, i: number, j: number) => string) =>
    cells.map(({ name, i, j }) => f(name, i, j)).join('\n      ')
  const p = (i: number, j: number) => `(v128.load offset=${16 * j} ${pRow(i)})`
  return `(if ${get('bias')} (then
      ${each((v, _, j) => set(v, `(f32x4.add ${get(v)} (v128.load offset=${16 * j} ${get('bias')}))`))}))
    (if (i32.eq ${get('act')} ${i32(ACT.leakyRelu)}) (then
      ${set('al', `(f32x4.splat ${get('alpha')})`)}
      ${each((v) => set(v, `(f32x4.pmax (f32x4.mul ${get(v)} ${get('al')}) ${get(v)})`))}))
    (if (i32.eq ${get('act')} ${i32(ACT.tanh)}) (then
      ${each((v) => set(v, `(call $tanh4 ${get(v)})`))}))
    (if (i32.eq ${get('act')} ${i32(ACT.leakyReluSlope)}) (then
      ${set('al', `(f32x4.splat ${get('alpha')})`)}
      ${each((v, i, j) => set(v, `(v128.bitselect ${get(v)} (f32x4.mul ${get(v)} ${get('al')}) (f32x4.gt ${p(i, j)} (v128.const i32x4 0 0 0 0)))`))}))
    (if (i32.eq ${get('act')} ${i32(ACT.tanhSlope)}) (then
      ${each((v, i, j) => set(v, `(f32x4.mul ${get(v)} (f32x4.sub ${f32x4One()} (f32x4.mul ${p(i, j)} ${p(i, j)})))`))}))`
}

const f32x4One = () => `(f32x4.splat ${f32(1)})`

/** Name of a broadcast micro-kernel. */
const bcName = (mode: 'rows' | 'cols', mr: number, nv: number) => `$bc_${mode}_${mr}x${4 * nv}`

const range = (n: number) => Array.from({ length: n }, (_, i) => i)

/** `acc + x·y` as the build asks: mul then add, or relaxed SIMD's multiply-add. */
function multiplyAdd(fma: boolean): (acc: string, x: string, y: string) => string {
  return fma
    ? (acc, x, y) => `(f32x4.relaxed_madd ${x} ${y} ${acc})`
    : (acc, x, y) => `(f32x4.add ${acc} (f32x4.mul ${x} ${y}))`
}
const add = (x: string, v: string) => set(x, `(i32.add ${get(x)} ${v})`)

/**
 * One broadcast micro-kernel: `mr` rows × `nv` vectors over `$k` steps (k ≥ 1). Rows mode reads
 * A(i, k) at `a + i·sa + 4k` (a pointer per row), columns mode at `a + 4i + k·sk` (one pointer,
 * immediate offsets). With `$load ≠ 0` the accumulators start from C: a product split along k
 * (engine/cpu/ops.ts: chunks that keep B's panel in L1) continues the same sums in the same order.
 */
function bcastKernel(mode: 'rows' | 'cols', mr: number, nv: number, fma: boolean): string {
  const madd = multiplyAdd(fma)
  const rows = range(mr)
  const vecs = range(nv)
  const acc = rows.map((i) => vecs.map((j) => `c${i}_${j}`))
  const aLoad = (i: number) =>
    mode === 'rows'
      ? `(v128.load32_splat ${get(`a${i}`)})`
      : `(v128.load32_splat offset=${4 * i} ${get('a')})`
  const step = rows
    .map(
      (i) => `${set('x', aLoad(i))}
        ${vecs.map((j) => set(acc[i][j], madd(get(acc[i][j]), get('x'), get(`b${j}`)))).join('\n        ')}`,
    )
    .join('\n        ')
  const advance =
    mode === 'rows' ? rows.map((i) => add(`a${i}`, i32(4))).join(' ') : add('a', get('sk'))
  const rowPointers =
    mode === 'rows'
      ? rows
          .slice(1)
          .map((i) => set(`a${i}`, `(i32.add ${get(`a${i - 1}`)} ${get('sa')})`))
          .join(' ')
      : ''
  const cRow = (i: number) =>
    i === 0 ? get('c') : `(i32.add ${get('c')} (i32.mul ${get('ldc')} ${i32(i)}))`
  const pRow = (i: number) =>
    i === 0 ? get('p') : `(i32.add ${get('p')} (i32.mul ${get('ldp')} ${i32(i)}))`
  const cells = acc.flatMap((row, i) => row.map((v, j) => ({ v, i, j })))
  return `(func ${bcName(mode, mr, nv)} (type $bc_tile) ${MICRO_PARAMS(BC_PARAMS)}
    ${decl('i32', mode === 'rows' ? rows.map((i) => `a${i}`) : [])}
    ${decl('v128', ['x', 'al', ...vecs.map((j) => `b${j}`), ...acc.flat()])}
    ${mode === 'rows' ? `${set('a0', get('a'))} ${rowPointers}` : ''}
    (if ${get('load')} (then
      ${cells.map(({ v, i, j }) => set(v, `(v128.load offset=${16 * j} ${cRow(i)})`)).join('\n      ')}))
    (loop $k
      ${vecs.map((j) => set(`b${j}`, `(v128.load offset=${16 * j} ${get('b')})`)).join(' ')}
      ${step}
      ${advance}
      ${add('b', get('ldb'))}
      (br_if $k (local.tee $k (i32.sub ${get('k')} ${i32(1)}))))
    ${epilogue(acc, pRow)}
    ${cells.map(({ v, i, j }) => `(v128.store offset=${16 * j} ${cRow(i)} ${get(v)})`).join('\n    ')})`
}

/** Name of a dot micro-kernel. */
const dotName = (mr: number, nc: number) => `$dot_${mr}x${nc}`

/**
 * One dot micro-kernel: `mr` rows × `nc` columns, `C[i, c] = Σ_k A[i, k]·B[c, k]` over `$k` floats
 * (a multiple of 4), four lanes per output reduced as `(l0 + l2) + (l1 + l3)`. The loop takes two
 * 4-float chunks per iteration (immediate offsets: half the pointer updates), after a lone first
 * chunk when their count is odd; each lane still adds its chunks in order.
 */
function dotKernel(mr: number, nc: number, fma: boolean): string {
  const madd = multiplyAdd(fma)
  const rows = range(mr)
  const cols = range(nc)
  const acc = rows.map((i) => cols.map((j) => `s${i}_${j}`))
  const zero = '(v128.const i32x4 0 0 0 0)'
  const chunk = (
    o: number,
  ) => `${rows.map((i) => set(`x${i}`, `(v128.load offset=${o} ${get(`ap${i}`)})`)).join(' ')}
      ${cols
        .map(
          (j) => `${set('y', `(v128.load offset=${o} ${get(`bp${j}`)})`)}
      ${rows.map((i) => set(acc[i][j], madd(get(acc[i][j]), get(`x${i}`), get('y')))).join(' ')}`,
        )
        .join('\n      ')}`
  const advance = (bytes: number) =>
    [
      ...rows.map((i) => add(`ap${i}`, i32(bytes))),
      ...cols.map((j) => add(`bp${j}`, i32(bytes))),
    ].join(' ')
  // Transpose-add: [s0, s1, s2, s3] (4 lanes each) → one vector of the four outputs.
  const reduce = rows
    .map((i) => {
      const s = (j: number) => (j < nc ? get(acc[i][j]) : zero)
      return `${set('u', `(f32x4.add (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 ${s(0)} ${s(1)}) (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 ${s(0)} ${s(1)}))`)}
    ${set('w', `(f32x4.add (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 ${s(2)} ${s(3)}) (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 ${s(2)} ${s(3)}))`)}
    ${set(`r${i}`, `(f32x4.add (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 ${get('u')} ${get('w')}) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 ${get('u')} ${get('w')}))`)}`
    })
    .join('\n    ')
  const pRow = (i: number) => (i === 0 ? get('p') : `(i32.add ${get('p')} ${get('ldp')})`)
  const cRow = (i: number) => (i === 0 ? get('c') : `(i32.add ${get('c')} ${get('ldc')})`)
  const store = rows
    .map((i) =>
      nc === 4
        ? `(v128.store ${cRow(i)} ${get(`r${i}`)})`
        : cols
            .map(
              (j) =>
                `(f32.store offset=${4 * j} ${cRow(i)} (f32x4.extract_lane ${j} ${get(`r${i}`)}))`,
            )
            .join(' '),
    )
    .join('\n    ')
  return `(func ${dotName(mr, nc)} (type $dot_tile) ${MICRO_PARAMS(DOT_PARAMS)}
    ${decl('i32', [...rows.map((i) => `ap${i}`), ...cols.map((j) => `bp${j}`)])}
    ${decl('v128', ['y', 'u', 'w', 'al', ...rows.map((i) => `x${i}`), ...rows.map((i) => `r${i}`), ...acc.flat()])}
    ${rows.map((i) => set(`ap${i}`, i === 0 ? get('a') : `(i32.add ${get('a')} ${get('lda')})`)).join(' ')}
    ${cols.map((j) => set(`bp${j}`, j === 0 ? get('b') : `(i32.add ${get(`bp${j - 1}`)} ${get('ldb')})`)).join(' ')}
    ;; k counts 4-float chunks from here
    ${set('k', `(i32.shr_u ${get('k')} ${i32(2)})`)}
    (if (i32.and ${get('k')} ${i32(1)}) (then
      ${chunk(0)}
      ${advance(16)}))
    ${set('k', `(i32.shr_u ${get('k')} ${i32(1)})`)}
    (if ${get('k')} (then (loop $k
      ${chunk(0)}
      ${chunk(16)}
      ${advance(32)}
      (br_if $k (local.tee $k (i32.sub ${get('k')} ${i32(1)}))))))
    ${reduce}
    ${epilogue(
      rows.map((i) => [`r${i}`]),
      pRow,
    )}
    ${store})`
}

/** Every micro-kernel and the two tables that `call_indirect` picks them from. */
export function gemmKernels(fma: boolean): string {
  const bc: string[] = []
  for (const mode of ['rows', 'cols'] as const) {
    for (let mr = 1; mr <= BC_ROWS; mr++) {
      for (let nv = 1; nv <= BC_VECTORS; nv++) bc.push(bcName(mode, mr, nv))
    }
  }
  const dot: string[] = []
  for (let mr = 1; mr <= DOT_ROWS; mr++) {
    for (let nc = 1; nc <= DOT_COLUMNS; nc++) dot.push(dotName(mr, nc))
  }
  const kernels = [
    ...(['rows', 'cols'] as const).flatMap((mode) =>
      Array.from({ length: BC_ROWS * BC_VECTORS }, (_, n) =>
        bcastKernel(mode, Math.floor(n / BC_VECTORS) + 1, (n % BC_VECTORS) + 1, fma),
      ),
    ),
    ...Array.from({ length: DOT_ROWS * DOT_COLUMNS }, (_, n) =>
      dotKernel(Math.floor(n / DOT_COLUMNS) + 1, (n % DOT_COLUMNS) + 1, fma),
    ),
  ]
  return `(table $tiles ${bc.length + dot.length} funcref)
  (elem (table $tiles) (i32.const 0) func ${[...bc, ...dot].join(' ')})
  ${kernels.join('\n  ')}`
}

/** Table index of the first dot micro-kernel. */
const DOT_BASE = 2 * BC_ROWS * BC_VECTORS

/**
 * The `gemmBcast` op: the groups of BC_GROUP 8-column panels this thread claims, each walked in k
 * chunks, each chunk in tiles of 4 rows, every tile across the group's panels before the next: A's
 * chunk (m rows of up to K_CHUNK floats) outgrows L1 and streams from L2 once per group instead of
 * once per panel, while two adjacent panels' rows share their cache lines, so B's chunk takes no
 * more of L1. Each output's sum still runs over the chunks in order: the same bits.
 */
export function gemmBcastOp(): string {
  const { decls, loads } = loadArgs('gemmBcast')
  return `(func $op_gemm_bcast (param $rec i32) (param $t i32) (param $T i32)
    ${decls} (local $from i32) (local $to i32) (local $cb i32) (local $r i32) (local $mr i32)
    (local $nv i32) (local $mode i32) (local $chunk i32) (local $kc i32) (local $k0 i32) (local $kk i32) (local $last i32)
    (local $gb i32) (local $ge i32) (local $gw i32)
    ${loads}
    ;; bytes of B's columns per unit: BC_GROUP panels
    ${set('gw', i32(32 * BC_GROUP))}
    ${units(`(i32.div_u (i32.add (i32.shl ${get('n')} ${i32(2)}) (i32.sub ${get('gw')} ${i32(1)})) ${get('gw')})`)}
    ;; k in equal chunks of at most K_CHUNK (rows mode) or K_CHUNK_COLS steps (784 → 7 × 112)
    ${set('chunk', `(select ${i32(K_CHUNK)} ${i32(K_CHUNK_COLS)} (i32.eq ${get('sk')} ${i32(4)}))`)}
    ${set('kc', `(i32.div_u (i32.add ${get('k')} (i32.sub ${get('chunk')} ${i32(1)})) ${get('chunk')})`)}
    ${set('kc', `(i32.div_u (i32.add ${get('k')} (i32.sub ${get('kc')} ${i32(1)})) ${get('kc')})`)}
    ;; rows mode when A's k is contiguous, columns mode (A transposed) otherwise
    ${set('mode', `(select ${i32(0)} ${i32(BC_ROWS * BC_VECTORS)} (i32.eq ${get('sk')} ${i32(4)}))`)}
    (block $done (loop $panel
      ${claim()}
      (br_if $done (i32.ge_u ${get('from')} ${get('to')}))
      ;; the group's first and end column, in bytes
      ${set('gb', `(i32.mul ${get('from')} ${get('gw')})`)}
      ${set('ge', `(i32.shl ${get('n')} ${i32(2)})`)}
      ${set('ge', `(select ${get('ge')} (i32.add ${get('gb')} ${get('gw')}) (i32.lt_u ${get('ge')} (i32.add ${get('gb')} ${get('gw')})))`)}
      ${set('k0', i32(0))}
      (loop $chunk
        ${set('kk', `(select ${get('kc')} (i32.sub ${get('k')} ${get('k0')}) (i32.ge_u (i32.sub ${get('k')} ${get('k0')}) ${get('kc')}))`)}
        ;; bias and activation once the sums are complete
        ${set('last', `(i32.eq (i32.add ${get('k0')} ${get('kk')}) ${get('k')})`)}
        ${set('r', i32(0))}
        (block $rows_done (loop $rows
          (br_if $rows_done (i32.ge_u ${get('r')} ${get('m')}))
          ${set('mr', `(select ${i32(BC_ROWS)} (i32.sub ${get('m')} ${get('r')}) (i32.ge_u (i32.sub ${get('m')} ${get('r')}) ${i32(BC_ROWS)}))`)}
          ${set('cb', get('gb'))}
          (loop $panels
          ${set('nv', `(select ${i32(2)} ${i32(1)} (i32.ge_u (i32.sub ${get('ge')} ${get('cb')}) ${i32(32)}))`)}
          (call_indirect $tiles (type $bc_tile)
            (i32.add ${get('a')} (i32.add (i32.mul ${get('r')} ${get('sa')}) (i32.mul ${get('k0')} ${get('sk')})))
            ${get('sa')} ${get('sk')}
            (i32.add ${get('b')} (i32.add (i32.mul ${get('k0')} ${get('ldb')}) ${get('cb')})) ${get('ldb')}
            (i32.add ${get('c')} (i32.add (i32.mul ${get('r')} ${get('ldc')}) ${get('cb')})) ${get('ldc')}
            ${get('kk')}
            (select (i32.add ${get('bias')} ${get('cb')}) ${i32(0)} (i32.and ${get('last')} (i32.ne ${get('bias')} ${i32(0)})))
            (select ${get('act')} ${i32(0)} ${get('last')})
            (i32.add ${get('p')} (i32.add (i32.mul ${get('r')} ${get('ldp')}) ${get('cb')})) ${get('ldp')}
            ${get('alpha')}
            ${get('k0')}
            (i32.add ${get('mode')} (i32.add (i32.shl (i32.sub ${get('mr')} ${i32(1)}) ${i32(1)}) (i32.sub ${get('nv')} ${i32(1)}))))
          (br_if $panels (i32.lt_u (local.tee $cb (i32.add ${get('cb')} ${i32(32)})) ${get('ge')})))
          ${set('r', `(i32.add ${get('r')} ${i32(BC_ROWS)})`)}
          (br $rows)))
        (br_if $chunk (i32.lt_u (local.tee $k0 (i32.add ${get('k0')} ${get('kk')})) ${get('k')})))
      (br $panel))))`
}

/**
 * The `gemmDot` op: the column groups this thread claims (DOT_GROUP blocks of 4 columns), each
 * walked in tiles of 2 rows, and every tile across the group's blocks before the next tile: the
 * group's rows of B (16 KB at k = 256) stay in L1 while A streams past once per group rather than
 * once per block (A, m rows of k floats, outgrows L1 at m·k > ~8k: at 128 × 256 this took D's input
 * gradient from 17 to ~25 GFLOPS). Each output is still one kernel call's sum: the same bits.
 */
export function gemmDotOp(): string {
  const { decls, loads } = loadArgs('gemmDot')
  const groupColumns = DOT_GROUP * DOT_COLUMNS
  return `(func $op_gemm_dot (param $rec i32) (param $t i32) (param $T i32)
    ${decls} (local $from i32) (local $to i32) (local $col i32) (local $nc i32) (local $r i32)
    (local $mr i32) (local $g0 i32) (local $g1 i32)
    ${loads}
    ${units(`(i32.div_u (i32.add ${get('n')} ${i32(groupColumns - 1)}) ${i32(groupColumns)})`)}
    (block $done (loop $group
      ${claim()}
      (br_if $done (i32.ge_u ${get('from')} ${get('to')}))
      ${set('g0', `(i32.mul ${get('from')} ${i32(groupColumns)})`)}
      ${set('g1', `(select ${get('n')} (i32.add ${get('g0')} ${i32(groupColumns)}) (i32.lt_u ${get('n')} (i32.add ${get('g0')} ${i32(groupColumns)})))`)}
      ${set('r', i32(0))}
      (block $rows_done (loop $rows
        (br_if $rows_done (i32.ge_u ${get('r')} ${get('m')}))
        ${set('mr', `(select ${i32(DOT_ROWS)} (i32.sub ${get('m')} ${get('r')}) (i32.ge_u (i32.sub ${get('m')} ${get('r')}) ${i32(DOT_ROWS)}))`)}
        ${set('col', get('g0'))}
        (loop $blocks
          ${set('nc', `(select ${i32(DOT_COLUMNS)} (i32.sub ${get('g1')} ${get('col')}) (i32.ge_u (i32.sub ${get('g1')} ${get('col')}) ${i32(DOT_COLUMNS)}))`)}
          (call_indirect $tiles (type $dot_tile)
            (i32.add ${get('a')} (i32.mul ${get('r')} ${get('lda')})) ${get('lda')}
            (i32.add ${get('b')} (i32.mul ${get('col')} ${get('ldb')})) ${get('ldb')}
            (i32.add ${get('c')} (i32.add (i32.mul ${get('r')} ${get('ldc')}) (i32.shl ${get('col')} ${i32(2)}))) ${get('ldc')}
            ${get('k')}
            (select (i32.add ${get('bias')} (i32.shl ${get('col')} ${i32(2)})) ${i32(0)} ${get('bias')})
            ${get('act')}
            (i32.add ${get('p')} (i32.add (i32.mul ${get('r')} ${get('ldp')}) (i32.shl ${get('col')} ${i32(2)}))) ${get('ldp')}
            ${get('alpha')}
            (i32.add ${i32(DOT_BASE)} (i32.add (i32.shl (i32.sub ${get('mr')} ${i32(1)}) ${i32(2)}) (i32.sub ${get('nc')} ${i32(1)}))))
          (br_if $blocks (i32.lt_u (local.tee $col (i32.add ${get('col')} ${i32(DOT_COLUMNS)})) ${get('g1')})))
        ${set('r', `(i32.add ${get('r')} ${i32(DOT_ROWS)})`)}
        (br $rows)))
      (br $group))))`
}
