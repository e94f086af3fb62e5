/**
 * @module trainer/engines/cpu
 * The fused CPU step (engine/cpu) as the trainer starts it in Node: the committed
 * engine/cpu/step.wasm, a worker_threads pool (trainer/engines/cpu-threads.ts) for `--threads`,
 * the run's training images, and the tfjs GAN's state at the step the run starts from, so a run
 * can start fresh or resume any checkpoint, whichever engine wrote it.
 */
import { createCpuEngine } from '../../engine/cpu/engine'
import type { StepEngine } from '../../engine/step-engine'
import type { TrainConfig } from '../config'
import type { Gan } from '../core/gan'
import { readGanState } from '../core/gan-state'
import type { MnistSplit } from '../run/data'
import { createNodeThreadPool, defaultThreads, loadCpuStepModule } from './cpu-threads'

/**
 * The fused CPU step for `gan` at GAN step `step`, training on the first `count` images of `data`.
 * @example const engine = await startCpuEngine(gan, config, mnist, 60000, 0)
 */
export async function startCpuEngine(
  gan: Gan,
  config: TrainConfig,
  data: Pick<MnistSplit, 'images' | 'labels'>,
  count: number,
  step: number,
): Promise<StepEngine> {
  const threads = config.threads > 0 ? config.threads : defaultThreads()
  return createCpuEngine({
    model: gan.model,
    options: config,
    module: loadCpuStepModule(),
    data: { images: data.images, labels: data.labels, count },
    pool: threads > 1 ? createNodeThreadPool(threads - 1) : undefined,
    state: await readGanState(gan, step),
  })
}
