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
 * each op from the ops that read what it wrote.
 */
import type { StepLayout } from './layout'
import { rowFloats, type Block } from './network'
import { ACT, OPS, PLAN_RECORDS, RECORD_BYTES, argOffset, isFloatArg, type OpName } from './ops'

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

/** Bytes between rows of an activation matrix `n` wide (engine/cpu/network.ts `rowFloats`). */
const stride = (n: number) => 4 * rowFloats(n)

/** `1 − x` in double, rounded once to float32 (ops.ts: the `rest*` arguments). */
const rest = (x: number) => Math.fround(1 - x)

const alphaOf = (b: Block) => (b.act.fn === 'leakyRelu' ? b.act.alpha : 0)

/**
 * The op records of one GAN step, to be copied to `layout.plan`.
 * @throws Error if the plan outgrows the space the layout reserved.
 */
export function buildPlan(layout: StepLayout, o: PlanOptions): ArrayBuffer {
  const buffer = new ArrayBuffer(PLAN_RECORDS * RECORD_BYTES)
  const words = new Int32Array(buffer)
  const floats = new Float32Array(buffer)
  let count = 0
  const op = <N extends OpName>(name: N, args: Partial<Record<string, number>> = {}) => {
    if (count >= PLAN_RECORDS - 1) throw new Error(`Expected at most ${PLAN_RECORDS} plan records.`)
    const at = (count++ * RECORD_BYTES) / 4
    words[at] = OPS[name].code
    for (const [arg, value] of Object.entries(args)) {
      const i = at + argOffset(name, arg) / 4
      if (isFloatArg(name, arg)) floats[i] = value!
      else words[i] = value!
    }
  }
  const barrier = () => op('barrier')
  const B = layout.batch
  const { g, d, dStride, gStride } = layout
  const gb = g.net.blocks
  const db = d.net.blocks
  const gLast = gb.length - 1
  const dLast = db.length - 1
  const at = (base: number, floatOffset: number) => base + 4 * floatOffset

  /** G's activations (pointer, row stride) feeding block i. */
  const gInput = (i: number, gIn: number) =>
    i === 0 ? { x: gIn, ld: gStride } : { x: layout.ga[i - 1], ld: stride(gb[i - 1].units) }
  const dInput = (j: number, x: number) =>
    j === 0 ? { x, ld: dStride } : { x: layout.da[j - 1], ld: stride(db[j - 1].units) }

  const gForward = (gIn: number, fakes: number, moving: boolean) => {
    gb.forEach((b, i) => {
      const { x, ld } = gInput(i, gIn)
      const last = i === gLast
      const out = last ? fakes : b.bn ? layout.gz[i] : layout.ga[i]
      op('gemmBcast', {
        a: x,
        sa: ld,
        sk: 4,
        b: at(g.params, b.kernel),
        ldb: b.ld,
        c: out,
        ldc: last ? dStride : stride(b.units),
        m: B,
        k: b.inputs,
        n: b.units,
        bias: at(g.params, b.bias),
        act: b.bn ? ACT.none : last ? ACT.tanh : ACT.leakyRelu,
        alpha: alphaOf(b),
      })
      barrier()
      if (b.bn) {
        op('bnForward', {
          z: layout.gz[i],
          a: layout.ga[i],
          ld: stride(b.units),
          rows: B,
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
        barrier()
      }
    })
  }

  const dForward = (x: number, rows: number) => {
    db.forEach((b, j) => {
      const input = dInput(j, x)
      if (j < dLast) {
        op('gemmBcast', {
          a: input.x,
          sa: input.ld,
          sk: 4,
          b: at(d.params, b.kernel),
          ldb: b.ld,
          c: layout.da[j],
          ldc: stride(b.units),
          m: rows,
          k: b.inputs,
          n: b.units,
          bias: at(d.params, b.bias),
          act: ACT.leakyRelu,
          alpha: alphaOf(b),
        })
      } else {
        // One logit per row: a dot product of the row with the kernel column.
        op('gemmDot', {
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
      barrier()
    })
  }

  /** The gradient at D block j's output (its logits' gradient for the last block). */
  const dGrad = (j: number) =>
    j === dLast ? { e: layout.dlogits, ld: 4 } : { e: layout.de[j], ld: stride(db[j].units) }

  /** Gradient into the block below D block j (j ≥ 1), times its LeakyReLU slope. */
  const dInputGrad = (j: number, rows: number) => {
    const b = db[j]
    const { e, ld } = dGrad(j)
    const below = db[j - 1]
    const slope = {
      c: layout.de[j - 1],
      ldc: stride(b.inputs),
      act: ACT.leakyReluSlope,
      p: layout.da[j - 1],
      ldp: stride(b.inputs),
      alpha: alphaOf(below),
    }
    if (b.units === 1) {
      // An outer product: dlogit[r] · W[c].
      op('gemmBcast', {
        a: e,
        sa: 4,
        sk: 4,
        b: at(d.params, b.kernel),
        ldb: b.ld,
        m: rows,
        k: 1,
        n: b.inputs,
        ...slope,
      })
    } else {
      op('gemmDot', {
        a: e,
        lda: ld,
        b: at(d.params, b.kernel),
        ldb: b.ld,
        m: rows,
        n: b.inputs,
        k: b.units,
        ...slope,
      })
    }
  }

  /** Kernel and bias gradients of a block: `xᵀ · e` and the column sums of `e`. */
  const weightGrad = (
    b: Block,
    net: { params: number; grads: number },
    x: { x: number; ld: number },
    e: { e: number; ld: number },
    rows: number,
  ) => {
    if (b.units === 1) {
      // The kernel column as one row: eᵀ · x.
      op('gemmBcast', {
        a: e.e,
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
      op('gemmBcast', {
        a: x.x,
        sa: 4,
        sk: x.ld,
        b: e.e,
        ldb: e.ld,
        c: at(net.grads, b.kernel),
        ldc: b.ld,
        m: b.inputs,
        k: rows,
        n: b.units,
        act: ACT.none,
      })
    }
    op('colSum', { y: e.e, ldy: e.ld, m: rows, n: b.units, out: at(net.grads, b.bias) })
  }

  const adam = (net: typeof g, scalars: number, ema: number) => {
    op('adam', {
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
    barrier()
  }

  if (o.latents) {
    layout.gIn.forEach((gIn, u) =>
      op('latents', {
        out: gIn,
        ld: gStride,
        rows: B,
        cols: layout.latentDim,
        seed: layout.seeds[u],
      }),
    )
    barrier()
  }
  for (let k = 0; k < layout.dSteps; k++) {
    const x = layout.dx[k]
    gForward(layout.gIn[k], x + B * dStride, false)
    dForward(x, 2 * B)
    op('dLoss', {
      logits: layout.logits,
      grads: layout.dlogits,
      half: B,
      target: rest(o.labelSmoothing),
      out: layout.losses + 8 * k,
    })
    barrier()
    for (let j = dLast; j >= 0; j--) {
      weightGrad(db[j], d, dInput(j, x), dGrad(j), 2 * B)
      if (j > 0) dInputGrad(j, 2 * B)
      barrier()
    }
    adam(d, layout.scalars[k], 0)
  }

  gForward(layout.gIn[layout.dSteps], layout.gdx, true)
  dForward(layout.gdx, B)
  op('gLoss', {
    logits: layout.logits,
    grads: layout.dlogits,
    rows: B,
    out: layout.losses + 8 * layout.dSteps,
  })
  barrier()
  for (let j = dLast; j >= 1; j--) {
    dInputGrad(j, B)
    barrier()
  }
  // Into G's output: only the image columns of D's input carry a gradient, times tanh's slope.
  const d0 = db[0]
  op('gemmDot', {
    a: layout.de[0],
    lda: stride(d0.units),
    b: at(d.params, d0.kernel),
    ldb: d0.ld,
    c: layout.ge[gLast],
    ldc: stride(layout.image),
    m: B,
    n: layout.image,
    k: d0.units,
    act: ACT.tanhSlope,
    p: layout.gdx,
    ldp: dStride,
  })
  barrier()
  for (let i = gLast; i >= 0; i--) {
    const b = gb[i]
    const e = { e: layout.ge[i], ld: stride(b.units) }
    weightGrad(b, g, gInput(i, layout.gIn[layout.dSteps]), e, B)
    if (i === 0) continue
    const below = gb[i - 1]
    op('gemmDot', {
      a: e.e,
      lda: e.ld,
      b: at(g.params, b.kernel),
      ldb: b.ld,
      c: below.bn ? layout.gy[i - 1] : layout.ge[i - 1],
      ldc: stride(b.inputs),
      m: B,
      n: b.inputs,
      k: b.units,
      act: ACT.leakyReluSlope,
      p: layout.ga[i - 1],
      ldp: stride(b.inputs),
      alpha: alphaOf(below),
    })
    barrier()
    if (below.bn) {
      op('bnBackward', {
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
      barrier()
    }
  }
  barrier()
  adam(g, layout.scalars[layout.dSteps], o.ema)
  op('end')
  return buffer
}
