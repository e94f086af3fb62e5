/**
 * @module trainer/engines/webgpu-fused
 * The fused WebGPU step (engine/webgpu/fused-step.ts, `--webgpu-step fused`) in the trainer: it
 * runs on tfjs's Dawn device (trainer/engines/dawn.ts) and starts from a tfjs `Gan`'s state
 * (trainer/core/gan-state.ts). Everything else — buffers, kernels, the step itself — is the
 * runtime-free engine's.
 * @example const engine = await createWebgpuStep(gan, { dSteps: 1, stepsPerSubmit: 16 }, { data })
 */
/// <reference types="@webgpu/types" />
import { FusedStep, type InputSource } from '../../engine/webgpu/fused-step'
import type { TrainConfig } from '../config'
import type { Gan } from '../core/gan'
import { readGanState } from '../core/gan-state'
import { tf } from '../core/tf'

/** The run's settings the engine takes besides the GAN's own options. */
export type FusedRunOptions = Pick<TrainConfig, 'dSteps' | 'stepsPerSubmit'>

/** tfjs's WebGPU device (the webgpu backend must be active). */
export function tfjsDevice(): GPUDevice {
  if (tf.getBackend() !== 'webgpu') {
    throw new Error(`Expected the webgpu backend for the fused step, but got ${tf.getBackend()}.`)
  }
  return (tf.backend() as unknown as { device: GPUDevice }).device
}

/**
 * The fused step for `gan` on tfjs's device, loaded with the GAN's state at GAN step `step`.
 * @throws Error for a GAN outside the fused step's scope, or when WebGPU rejects the setup.
 */
export async function createWebgpuStep(
  gan: Gan,
  run: FusedRunOptions,
  source: InputSource,
  step = 0,
): Promise<FusedStep> {
  const device = tfjsDevice()
  const { options } = gan
  if (options.loss !== 'bce' || options.dDropout !== 0) {
    throw new Error('Expected --loss bce and --d-dropout 0 for the fused WebGPU step.')
  }
  return FusedStep.create(
    device,
    gan.model,
    {
      batch: options.batch,
      dSteps: run.dSteps,
      seed: options.seed,
      lrD: options.lrD,
      lrG: options.lrG,
      beta1: options.beta1,
      beta2: options.beta2,
      epsilon: gan.optD.epsilon,
      labelSmoothing: options.labelSmoothing,
      ema: gan.gAverage ? gan.gAverage.decay : 0,
      stepsPerSubmit: run.stepsPerSubmit,
    },
    source,
    await readGanState(gan, step),
  )
}
