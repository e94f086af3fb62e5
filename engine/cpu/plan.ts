/**
 * @module engine/cpu/plan
 * The fused CPU step as one program: the op records (engine/cpu/ops.ts) of a whole GAN step —
 * `dSteps` D updates (each with a fresh G forward for its fakes), then one G update — over the
 * buffers of engine/cpu/layout.ts. Built once per engine; a step is one `run` of it on every
 * thread.
 *
 * The sequence mirrors the fused WebGPU step (engine/webgpu/plan.ts) and so trainer/core/gan.ts:
 * - D update k: G forward on `gIn[k]` (batch statistics, moving statistics untouched) writing the
 *   fakes into rows B..2B−1 of `dx[k]`; D forward on all 2B rows; the BCE head; for each D block
 *   from the last, its weight gradient (`[x | 1]ᵀ · e`: kernel and bias) and the gradient into the
 *   block below (`e · Wᵀ` times the LeakyReLU slope); Adam.
 * - G update: G forward on `gIn[dSteps]` into `gdx` with the moving-statistics update; D forward
 *   on those B rows; the non-saturating head; the input gradients down through D into G's output
 *   (times the tanh slope); for each G block from the last, its weight gradient, the gradient into
 *   the block below (through BatchNorm where there is one); Adam and the weight average.
 * First, when the module draws them, the latents of every update of the step. A barrier separates
 * each op from the ops that read what it wrote. Each phase is one `write*` function below, writing
 * through a {@link PlanWriter} (engine/cpu/plan-writer.ts).
 */
import type { NetworkPlace, StepLayout } from './layout'
import { rowFloats, type Block } from './network'
import { ACT, type OpArgs } from './ops'
import { PlanWriter } from './plan-writer'

/** The hyperparameters baked into the plan. */
export interface PlanOptions {
  labelSmoothing: number
  beta1: number
  beta2: number
  epsilon: number
  /** Weight-average decay (0: none). */
  ema: number
  /** Draw G's latents in the module (engine/cpu/wat-latent.ts); otherwise the host writes them. */
  latents: boolean
}

/**
 * The op records of one GAN step, to be copied to `layout.plan`.
 * @throws Error if the plan outgrows the space the layout reserved.
 */
export function buildPlan(layout: StepLayout, o: PlanOptions): ArrayBuffer {
  const w = new PlanWriter()
  // Every update's latents up front: they depend on nothing, so one barrier covers all of them.
  if (o.latents) writeLatents(w, layout)
  // The D updates first, as trainer/core/gan.ts orders a step: the G update's gradient comes
  // through the D they leave.
  for (let k = 0; k < layout.dSteps; k++) writeDiscriminatorUpdate(w, layout, o, k)
  writeGeneratorUpdate(w, layout, o)
  return w.end()
}

/** A matrix in memory: the byte address of row 0 and the bytes between rows. */
interface Matrix {
  x: number
  ld: number
}

/** Bytes between rows of an activation matrix `n` wide (engine/cpu/network.ts `rowFloats`). */
const stride = (n: number) => 4 * rowFloats(n)

/** `1 − x` in double, rounded once to float32 (ops.ts: the `rest*` arguments). */
const rest = (x: number) => Math.fround(1 - x)

const alphaOf = (b: Block) => (b.act.fn === 'leakyRelu' ? b.act.alpha : 0)

/** The byte address `floatOffset` floats into the packed array at `base`. */
const at = (base: number, floatOffset: number) => base + 4 * floatOffset

/** G's activations feeding block i: G's input `gIn` for the first block. */
const gInput = (layout: StepLayout, i: number, gIn: number): Matrix =>
  i === 0
    ? { x: gIn, ld: layout.gStride }
    : { x: layout.ga[i - 1], ld: stride(layout.g.net.blocks[i - 1].units) }

/** D's activations feeding block j: D's input `x` for the first block. */
const dInput = (layout: StepLayout, j: number, x: number): Matrix =>
  j === 0
    ? { x, ld: layout.dStride }
    : { x: layout.da[j - 1], ld: stride(layout.d.net.blocks[j - 1].units) }

/** The gradient at D block j's output (its logits' gradient for the last block). */
const dGrad = (layout: StepLayout, j: number): Matrix =>
  j === layout.d.net.blocks.length - 1
    ? { x: layout.dlogits, ld: 4 }
    : { x: layout.de[j], ld: stride(layout.d.net.blocks[j].units) }

/** The gradient at G block i's output, before its activation (or BatchNorm). */
const gGrad = (layout: StepLayout, i: number): Matrix => ({
  x: layout.ge[i],
  ld: stride(layout.g.net.blocks[i].units),
})

/**
 * The latents of every update (`gIn[u]` from `seeds[u]`), then one barrier: the draws are
 * independent of each other and of everything else in the step.
 */
function writeLatents(w: PlanWriter, layout: StepLayout) {
  layout.gIn.forEach((gIn, u) =>
    w.op('latents', {
      out: gIn,
      ld: layout.gStride,
      rows: layout.batch,
      cols: layout.latentDim,
      seed: layout.seeds[u],
    }),
  )
  w.barrier()
}

/**
 * D update k: G's fakes into rows B..2B−1 of `dx[k]` (batch statistics; the moving ones are the G
 * update's to advance, once per step), D forward on all 2B rows, the BCE head's gradient at the
 * logits, D's gradients from the last block down (each block's input gradient is the output
 * gradient of the block below), then Adam once every gradient is complete.
 */
function writeDiscriminatorUpdate(w: PlanWriter, layout: StepLayout, o: PlanOptions, k: number) {
  const B = layout.batch
  const x = layout.dx[k]
  writeGeneratorForward(w, layout, layout.gIn[k], x + B * layout.dStride, false)
  writeDiscriminatorForward(w, layout, x, 2 * B)
  w.op('dLoss', {
    logits: layout.logits,
    grads: layout.dlogits,
    half: B,
    target: rest(o.labelSmoothing),
    out: layout.losses + 8 * k,
  })
  w.barrier()
  writeDiscriminatorBackward(w, layout, x, 2 * B)
  writeAdam(w, layout.d, layout.scalars[k], o, 0)
}

/**
 * The G update: G forward on `gIn[dSteps]` into `gdx`, advancing BatchNorm's moving statistics
 * (once per step); D forward on those B rows with the weights the D updates left; the
 * non-saturating head; the gradients down through D (its weights untouched) into G's output; G's
 * gradients from the last block down; Adam with the weight average.
 */
function writeGeneratorUpdate(w: PlanWriter, layout: StepLayout, o: PlanOptions) {
  const { batch: B, dSteps } = layout
  const gIn = layout.gIn[dSteps]
  writeGeneratorForward(w, layout, gIn, layout.gdx, true)
  writeDiscriminatorForward(w, layout, layout.gdx, B)
  w.op('gLoss', {
    logits: layout.logits,
    grads: layout.dlogits,
    rows: B,
    out: layout.losses + 8 * dSteps,
  })
  w.barrier()
  for (let j = layout.d.net.blocks.length - 1; j >= 0; j--) {
    writeDiscriminatorInputGrad(w, layout, j, B)
    w.barrier()
  }
  writeGeneratorBackward(w, layout, gIn)
  writeAdam(w, layout.g, layout.scalars[dSteps], o, o.ema)
}

/**
 * G forward on `gIn` into `fakes` (rows `dStride` apart, D's input): block by block, each product
 * (raw into `gz` ahead of a BatchNorm) and then its BatchNorm, each behind a barrier since the next
 * reads it. `moving`: advance BatchNorm's moving statistics (the G update only).
 */
function writeGeneratorForward(
  w: PlanWriter,
  layout: StepLayout,
  gIn: number,
  fakes: number,
  moving: boolean,
) {
  const { g } = layout
  const blocks = g.net.blocks
  blocks.forEach((b, i) => {
    const last = i === blocks.length - 1
    const out = last
      ? { x: fakes, ld: layout.dStride }
      : { x: b.bn ? layout.gz[i] : layout.ga[i], ld: stride(b.units) }
    const act = b.bn ? ACT.none : last ? ACT.tanh : ACT.leakyRelu
    writeDense(w, g.params, b, gInput(layout, i, gIn), out, layout.batch, act)
    w.barrier()
    if (b.bn) {
      w.op('bnForward', {
        z: layout.gz[i],
        a: layout.ga[i],
        ld: stride(b.units),
        rows: layout.batch,
        features: b.units,
        gamma: at(g.params, b.bn.gamma),
        beta: at(g.params, b.bn.beta),
        stats: layout.bstat[i],
        movingMean: moving ? at(g.state, b.bn.movingMean) : 0,
        movingVariance: at(g.state, b.bn.movingVariance),
        epsilon: b.bn.epsilon,
        momentum: b.bn.momentum,
        rest: rest(b.bn.momentum),
        alpha: alphaOf(b),
      })
      w.barrier()
    }
  })
}

/**
 * D forward on `rows` rows of `x`, block by block, each behind a barrier since the next reads it:
 * the hidden outputs into `da`, one logit per row into `logits`.
 */
function writeDiscriminatorForward(w: PlanWriter, layout: StepLayout, x: number, rows: number) {
  const { d } = layout
  const blocks = d.net.blocks
  blocks.forEach((b, j) => {
    const input = dInput(layout, j, x)
    if (j < blocks.length - 1) {
      const out = { x: layout.da[j], ld: stride(b.units) }
      writeDense(w, d.params, b, input, out, rows, ACT.leakyRelu)
    } else {
      // One logit per row: a dot product of the row with the kernel column.
      w.op('gemmDot', {
        a: input.x,
        lda: input.ld,
        b: at(d.params, b.kernel),
        ldb: b.ld,
        c: layout.logits,
        ldc: 4,
        m: rows,
        n: 1,
        k: b.inputs,
        bias: at(d.params, b.bias),
        act: ACT.none,
      })
    }
    w.barrier()
  })
}

/**
 * D's gradients in a D update, from the last block down: each block's weight gradient and the
 * gradient into the block below read only its output gradient, so they share one barrier, which
 * the next block needs before it reads the latter.
 */
function writeDiscriminatorBackward(w: PlanWriter, layout: StepLayout, x: number, rows: number) {
  for (let j = layout.d.net.blocks.length - 1; j >= 0; j--) {
    const b = layout.d.net.blocks[j]
    writeWeightGrad(w, layout.d, b, dInput(layout, j, x), dGrad(layout, j), rows)
    if (j > 0) writeDiscriminatorInputGrad(w, layout, j, rows)
    w.barrier()
  }
}

/**
 * The gradient into what feeds D block j over `rows` rows: for j ≥ 1 the block below, times its
 * LeakyReLU slope; for j = 0 (the G update only) G's fakes in `gdx`, times tanh's slope — only the
 * image columns of D's input, since the one-hot carries no gradient.
 */
function writeDiscriminatorInputGrad(w: PlanWriter, layout: StepLayout, j: number, rows: number) {
  const b = layout.d.net.blocks[j]
  const e = dGrad(layout, j)
  if (j === 0) {
    const into = {
      c: layout.ge[layout.g.net.blocks.length - 1],
      ldc: stride(layout.image),
      act: ACT.tanhSlope,
      p: layout.gdx,
      ldp: layout.dStride,
    }
    writeInputGrad(w, layout.d.params, b, e, rows, layout.image, into)
    return
  }
  const into = {
    c: layout.de[j - 1],
    ldc: stride(b.inputs),
    act: ACT.leakyReluSlope,
    p: layout.da[j - 1],
    ldp: stride(b.inputs),
    alpha: alphaOf(layout.d.net.blocks[j - 1]),
  }
  writeInputGrad(w, layout.d.params, b, e, rows, b.inputs, into)
}

/**
 * G's gradients from the last block down, as in {@link writeDiscriminatorBackward}; where the
 * block below has a BatchNorm, the gradient goes into `gy` and the BatchNorm's backward writes
 * `ge` from it behind a second barrier.
 */
function writeGeneratorBackward(w: PlanWriter, layout: StepLayout, gIn: number) {
  const { g, batch: B } = layout
  const blocks = g.net.blocks
  for (let i = blocks.length - 1; i >= 0; i--) {
    const b = blocks[i]
    const e = gGrad(layout, i)
    writeWeightGrad(w, g, b, gInput(layout, i, gIn), e, B)
    const below = i > 0 ? blocks[i - 1] : undefined
    if (below) {
      const into = {
        c: below.bn ? layout.gy[i - 1] : layout.ge[i - 1],
        ldc: stride(b.inputs),
        act: ACT.leakyReluSlope,
        p: layout.ga[i - 1],
        ldp: stride(b.inputs),
        alpha: alphaOf(below),
      }
      writeInputGrad(w, g.params, b, e, B, b.inputs, into)
    }
    w.barrier()
    if (below?.bn) {
      w.op('bnBackward', {
        z: layout.gz[i - 1],
        dy: layout.gy[i - 1],
        dx: layout.ge[i - 1],
        ld: stride(below.units),
        rows: B,
        features: below.units,
        gamma: at(g.params, below.bn.gamma),
        stats: layout.bstat[i - 1],
        dgamma: at(g.grads, below.bn.gamma),
        dbeta: at(g.grads, below.bn.beta),
      })
      w.barrier()
    }
  }
}

/**
 * Adam over `net`'s packed parameters with this update's `scalars` (and the weight average when
 * `ema` > 0), behind the barrier after the last gradient; its own barrier lets the next update
 * read the new weights.
 */
function writeAdam(
  w: PlanWriter,
  net: NetworkPlace,
  scalars: number,
  o: Pick<PlanOptions, 'beta1' | 'beta2' | 'epsilon'>,
  ema: number,
) {
  w.op('adam', {
    params: net.params,
    grads: net.grads,
    m: net.m,
    v: net.v,
    count: net.net.params,
    scalars,
    beta1: o.beta1,
    rest1: rest(o.beta1),
    beta2: o.beta2,
    rest2: rest(o.beta2),
    epsilon: o.epsilon,
    avg: ema > 0 ? net.avg : 0,
    decay: ema,
    restDecay: rest(ema),
  })
  w.barrier()
}

/** `out = act(x · W + bias)` of block `b` over `rows` rows (the raw product when `act` is none). */
function writeDense(
  w: PlanWriter,
  params: number,
  b: Block,
  x: Matrix,
  out: Matrix,
  rows: number,
  act: number,
) {
  w.op('gemmBcast', {
    a: x.x,
    sa: x.ld,
    sk: 4,
    b: at(params, b.kernel),
    ldb: b.ld,
    c: out.x,
    ldc: out.ld,
    m: rows,
    k: b.inputs,
    n: b.units,
    bias: at(params, b.bias),
    act,
    alpha: alphaOf(b),
  })
}

/** Kernel and bias gradients of block `b`: `xᵀ · e` and the column sums of `e`. */
function writeWeightGrad(
  w: PlanWriter,
  net: NetworkPlace,
  b: Block,
  x: Matrix,
  e: Matrix,
  rows: number,
) {
  if (b.units === 1) {
    // The kernel column as one row: eᵀ · x.
    w.op('gemmBcast', {
      a: e.x,
      sa: 4,
      sk: 4,
      b: x.x,
      ldb: x.ld,
      c: at(net.grads, b.kernel),
      ldc: b.ld,
      m: 1,
      k: rows,
      n: b.inputs,
      act: ACT.none,
    })
  } else {
    w.op('gemmBcast', {
      a: x.x,
      sa: 4,
      sk: x.ld,
      b: e.x,
      ldb: e.ld,
      c: at(net.grads, b.kernel),
      ldc: b.ld,
      m: b.inputs,
      k: rows,
      n: b.units,
      act: ACT.none,
    })
  }
  w.op('colSum', { y: e.x, ldy: e.ld, m: rows, n: b.units, out: at(net.grads, b.bias) })
}

/** Where an input gradient goes (`c`) and the slope it is multiplied by (`act` of output `p`). */
type Into = Pick<OpArgs<'gemmDot'>, 'c' | 'ldc' | 'act' | 'p' | 'ldp'> & { alpha?: number }

/** The gradient into the first `width` inputs of block `b`: `e · Wᵀ` times the slope of `into`. */
function writeInputGrad(
  w: PlanWriter,
  params: number,
  b: Block,
  e: Matrix,
  rows: number,
  width: number,
  into: Into,
) {
  if (b.units === 1) {
    // An outer product: dlogit[r] · W[c].
    w.op('gemmBcast', {
      a: e.x,
      sa: 4,
      sk: 4,
      b: at(params, b.kernel),
      ldb: b.ld,
      m: rows,
      k: 1,
      n: width,
      ...into,
    })
  } else {
    w.op('gemmDot', {
      a: e.x,
      lda: e.ld,
      b: at(params, b.kernel),
      ldb: b.ld,
      m: rows,
      n: width,
      k: b.units,
      ...into,
    })
  }
}
