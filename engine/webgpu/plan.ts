/**
 * @module engine/webgpu/plan
 * What the fused WebGPU step runs and where its numbers live: the inputs buffer, every activation
 * and gradient buffer, the step counters, and the kernel sequence of a discriminator update and
 * of a generator update (engine/webgpu/wgsl.ts, wgsl-update.ts), for the networks' blocks and
 * packed tensors of engine/webgpu/layout.ts (the tutorial MLPs; D is trained on its logits).
 *
 * Inputs buffer `batch` (engine/webgpu/inputs.ts): real images `[B, 784]`, their one-hot labels
 * `[B, C]`, G's input `[B, latent + C]` (latent, then one-hot). With `draw` options each update
 * starts with a kernel that fills it on the device (real batch from the resident training set,
 * latents and labels from the counter-based generator); without, the host writes it before each
 * update (the test mode that feeds both engines the same numbers).
 */
import type { ModelSpec } from '../../shared/model/spec'
import {
  discriminatorInputs,
  generatorInputs,
  inputLayout,
  type DrawOptions,
  type InputLayout,
} from './inputs'
import { parseNetwork, unsupported, type Block, type TensorPlace } from './layout'
import {
  batchNormBackward,
  batchNormForward,
  matMul,
  type Activation,
  type KernelSource,
} from './wgsl'
import { adam, discriminatorLoss, generatorLoss } from './wgsl-update'

/** Options that shape the kernels. */
export interface PlanOptions {
  batch: number
  dSteps: number
  labelSmoothing: number
  lrD: number
  lrG: number
  beta1: number
  beta2: number
  epsilon: number
  /** Weight-average decay (0: none). */
  ema: number
  /** Draw the inputs on the device (seed, training-set size); absent: the host writes `batch`. */
  draw?: DrawOptions
}

/** Words in `ctl` (u32: step, k, tD, tG) and `sums` (f32: dLoss, dAcc, gLoss; one pad word). */
export const CTL_WORDS = 4
export const SUMS_WORDS = 4

/** The whole step: buffer sizes (4-byte words), input layout, tensor places, both kernel lists. */
export interface StepPlan {
  buffers: Map<string, number>
  inputs: InputLayout
  latentDim: number
  classes: number
  g: { tensors: TensorPlace[]; params: number; state: number }
  d: { tensors: TensorPlace[]; params: number }
  dUpdate: KernelSource[]
  gUpdate: KernelSource[]
  /** Floats in `loss`: [dLoss, dAcc] per D update, then gLoss. */
  losses: number
}

const u = (n: number) => `${n}u`

/**
 * Plans the fused step for `model`.
 * @throws Error for a model outside the tutorial MLP family.
 */
export function planStep(model: ModelSpec, o: PlanOptions): StepPlan {
  const B = o.batch
  const g = parseNetwork(model.generator, B, true)
  const d = parseNetwork(model.discriminator, 2 * B, false)
  const C = g.classes
  const L = model.latentDim
  const GW = L + C
  const IMG = g.blocks[g.blocks.length - 1].units
  if (d.classes !== C || d.blocks[0].inputs !== IMG + C || g.blocks[0].inputs !== GW) {
    throw unsupported('G and D shapes that do not chain')
  }
  if (d.blocks[d.blocks.length - 1].units !== 1) throw unsupported('a D with several outputs')
  const inputs = inputLayout(B, IMG, C, L)
  const RLAB = inputs.realLabels
  const GIN = inputs.gInput
  const losses = 2 * o.dSteps + 1

  const buffers = new Map<string, number>([
    ['batch', inputs.size],
    ['loss', losses],
    ['ctl', CTL_WORDS],
    ['sums', SUMS_WORDS],
    ['bstat', Math.max(1, g.stats)],
    ['gs', Math.max(1, g.state)],
  ])
  if (o.draw) {
    buffers.set('images', Math.ceil((o.draw.count * IMG) / 4))
    buffers.set('labels', Math.ceil(o.draw.count / 4))
  }
  for (const name of ['gp', 'gm', 'gv', 'gg', ...(o.ema > 0 ? ['gavg'] : [])]) {
    buffers.set(name, g.params)
  }
  for (const name of ['dp', 'dm', 'dv', 'dg']) buffers.set(name, d.params)
  const gOut = (i: number) => (i === g.blocks.length - 1 ? 'fake' : `ga${i}`)
  g.blocks.forEach((b, i) => {
    buffers.set(gOut(i), B * b.units)
    buffers.set(`ge${i}`, B * b.units)
    if (b.bn) {
      buffers.set(`gz${i}`, B * b.units)
      buffers.set(`gy${i}`, B * b.units)
    }
  })
  const dLast = d.blocks.length - 1
  const dOut = (j: number) => (j === dLast ? 'dlogit' : `da${j}`)
  const dGrad = (j: number) => (j === dLast ? 'dgrad' : `de${j}`)
  d.blocks.forEach((b, j) => {
    buffers.set(dOut(j), 2 * B * b.units)
    buffers.set(dGrad(j), 2 * B * b.units)
  })

  /** An input accessor: buffers it reads and `read(row, col)` → a WGSL `return` statement. */
  type Input = { buffers: string[]; read: (r: string, k: string) => string }
  const gInput: Input = {
    buffers: ['batch'],
    read: (r, k) => `return batch[${u(GIN)} + ${r} * ${u(GW)} + ${k}];`,
  }
  const gHidden = (i: number): Input =>
    i === 0
      ? gInput
      : {
          buffers: [gOut(i - 1)],
          read: (r, k) => `return ${gOut(i - 1)}[${r} * ${u(g.blocks[i - 1].units)} + ${k}];`,
        }
  // D's first input: images (reals then fakes in a D update, fakes in a G update) + one-hot.
  const dInput = (update: 'd' | 'g'): Input => ({
    buffers: ['batch', 'fake'],
    read: (r, k) =>
      update === 'd'
        ? `if (${k} < ${u(IMG)}) {
            if (${r} < ${u(B)}) { return batch[${r} * ${u(IMG)} + ${k}]; }
            return fake[(${r} - ${u(B)}) * ${u(IMG)} + ${k}];
          }
          if (${r} < ${u(B)}) { return batch[${u(RLAB)} + ${r} * ${u(C)} + ${k} - ${u(IMG)}]; }
          return batch[${u(GIN)} + (${r} - ${u(B)}) * ${u(GW)} + ${u(L)} + ${k} - ${u(IMG)}];`
        : `if (${k} < ${u(IMG)}) { return fake[${r} * ${u(IMG)} + ${k}]; }
          return batch[${u(GIN)} + ${r} * ${u(GW)} + ${u(L)} + ${k} - ${u(IMG)}];`,
  })
  const dHidden = (j: number, update: 'd' | 'g'): Input =>
    j === 0
      ? dInput(update)
      : {
          buffers: [dOut(j - 1)],
          read: (r, k) => `return ${dOut(j - 1)}[${r} * ${u(d.blocks[j - 1].units)} + ${k}];`,
        }
  const uniq = (names: string[]) => [...new Set(names)]

  /** `out = act(x · W + b)`, or the raw `x · W + b` into `raw` ahead of a BatchNorm. */
  const forward = (label: string, b: Block, rows: number, x: Input, p: string, out: string) =>
    matMul({
      label,
      m: rows,
      n: b.units,
      k: b.inputs,
      buffers: uniq([...x.buffers, p, out]),
      readA: x.read('r', 'k'),
      readB: `return ${p}[${u(b.kernel)} + k * ${u(b.units)} + c];`,
      store: `let y = acc + ${p}[${u(b.kernel + b.inputs * b.units)} + c];
        ${out}[r * ${u(b.units)} + c] = ${b.bn ? 'y' : b.act.apply('y')};`,
    })
  /** Kernel and bias gradients: `[x | 1]ᵀ · e` into the packed gradients. */
  const weightGrad = (label: string, b: Block, rows: number, x: Input, e: string, grads: string) =>
    matMul({
      label,
      m: b.inputs + 1,
      n: b.units,
      k: rows,
      buffers: uniq([...x.buffers, e, grads]),
      readA: `if (r == ${u(b.inputs)}) { return 1.0; } ${x.read('k', 'r')}`,
      readB: `return ${e}[k * ${u(b.units)} + c];`,
      store: `${grads}[${u(b.kernel)} + r * ${u(b.units)} + c] = acc;`,
    })
  /** The gradient at the previous block's pre-activation: `(e · Wᵀ) ⊙ act'(its output)`. */
  const inputGrad = (
    label: string,
    b: Block,
    rows: number,
    width: number,
    e: string,
    p: string,
    prev: { out: string; act: Activation },
    into: string,
  ) =>
    matMul({
      label,
      m: rows,
      n: width,
      k: b.units,
      buffers: uniq([e, p, prev.out, into]),
      readA: `return ${e}[r * ${u(b.units)} + k];`,
      readB: `return ${p}[${u(b.kernel)} + c * ${u(b.units)} + k];`,
      store: `let i = r * ${u(width)} + c;
        ${into}[i] = acc * ${prev.act.slope(`${prev.out}[i]`)};`,
    })

  const generatorForward = (moving: boolean): KernelSource[] =>
    g.blocks.flatMap((b, i) => {
      const out = b.bn ? `gz${i}` : gOut(i)
      const mm = forward(`${b.name}.forward`, b, B, gHidden(i), 'gp', out)
      return b.bn ? [mm, batchNormForward(b.bn, b.act, out, gOut(i), moving)] : [mm]
    })
  const discriminatorForward = (update: 'd' | 'g', rows: number): KernelSource[] =>
    d.blocks.map((b, j) => forward(`${b.name}.forward`, b, rows, dHidden(j, update), 'dp', dOut(j)))
  const dPrev = (j: number) => ({ out: dOut(j - 1), act: d.blocks[j - 1].act })
  const adamOptions = { beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon }

  const dUpdate: KernelSource[] = [
    ...(o.draw ? [discriminatorInputs(inputs, o.draw)] : []),
    ...generatorForward(false),
    ...discriminatorForward('d', 2 * B),
    discriminatorLoss(B, o.labelSmoothing),
  ]
  for (let j = dLast; j >= 0; j--) {
    const b = d.blocks[j]
    dUpdate.push(weightGrad(`${b.name}.weightGrad`, b, 2 * B, dHidden(j, 'd'), dGrad(j), 'dg'))
    if (j > 0) {
      dUpdate.push(
        inputGrad(
          `${b.name}.inputGrad`,
          b,
          2 * B,
          b.inputs,
          dGrad(j),
          'dp',
          dPrev(j),
          dGrad(j - 1),
        ),
      )
    }
  }
  dUpdate.push(
    adam({
      label: 'd.adam',
      count: d.params,
      params: 'dp',
      m: 'dm',
      v: 'dv',
      grads: 'dg',
      counter: 2,
      lr: o.lrD,
      ...adamOptions,
    }),
  )

  const gLast = g.blocks.length - 1
  const gUpdate: KernelSource[] = [
    ...(o.draw ? [generatorInputs(inputs, o.draw)] : []),
    ...generatorForward(true),
    ...discriminatorForward('g', B),
    generatorLoss(B, o.dSteps),
  ]
  for (let j = dLast; j >= 0; j--) {
    const b = d.blocks[j]
    // Into G: only the image columns of D's input carry a gradient (not the one-hot).
    const prev = j > 0 ? dPrev(j) : { out: 'fake', act: g.blocks[gLast].act }
    const into = j > 0 ? dGrad(j - 1) : `ge${gLast}`
    gUpdate.push(
      inputGrad(`${b.name}.inputGrad`, b, B, j > 0 ? b.inputs : IMG, dGrad(j), 'dp', prev, into),
    )
  }
  for (let i = gLast; i >= 0; i--) {
    const b = g.blocks[i]
    gUpdate.push(weightGrad(`${b.name}.weightGrad`, b, B, gHidden(i), `ge${i}`, 'gg'))
    if (i === 0) continue
    const p = g.blocks[i - 1]
    const into = p.bn ? `gy${i - 1}` : `ge${i - 1}`
    gUpdate.push(
      inputGrad(
        `${b.name}.inputGrad`,
        b,
        B,
        b.inputs,
        `ge${i}`,
        'gp',
        { out: gOut(i - 1), act: p.act },
        into,
      ),
    )
    if (p.bn) gUpdate.push(batchNormBackward(p.bn, `gz${i - 1}`, into, `ge${i - 1}`))
  }
  gUpdate.push(
    adam({
      label: 'g.adam',
      count: g.params,
      params: 'gp',
      m: 'gm',
      v: 'gv',
      grads: 'gg',
      counter: 3,
      lr: o.lrG,
      ...adamOptions,
      ...(o.ema > 0 ? { average: { buffer: 'gavg', decay: o.ema } } : {}),
    }),
  )

  return {
    buffers,
    inputs,
    latentDim: L,
    classes: C,
    g: { tensors: g.tensors, params: g.params, state: g.state },
    d: { tensors: d.tensors, params: d.params },
    dUpdate,
    gUpdate,
    losses,
  }
}
