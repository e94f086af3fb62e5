/**
 * @module test/trainer/engines/create
 * Which step engine a config gets: the fused WebGPU step where it applies (unless `tfjs` is asked
 * for), a UsageError naming what is missing where `fused` is asked for and cannot run.
 */
import { describe, expect, it } from 'vitest'
import { UsageError } from '../../../trainer/cli'
import { DEFAULT_CONFIG, parseTrainArgs } from '../../../trainer/config'
import { checkWebgpuStep, resolveCpuStep, resolveWebgpuStep } from '../../../trainer/engines/create'

describe('engine choice', () => {
  it.each([
    [['--webgpu-step', 'fused'], /Expected --backend webgpu, but got auto for --webgpu-step fused/],
    [
      ['--webgpu-step', 'fused', '--backend', 'webgpu', '--model', 'dcgan'],
      /Expected --model mlp or cgan, but got dcgan for --webgpu-step fused/,
    ],
    [
      ['--webgpu-step', 'fused', '--backend', 'webgpu', '--loss', 'wgan-gp'],
      /Expected --loss bce, but got wgan-gp for --webgpu-step fused/,
    ],
    [
      ['--webgpu-step', 'fused', '--backend', 'webgpu', '--d-dropout', '0.3'],
      /Expected --d-dropout 0, but got 0.3 for --webgpu-step fused/,
    ],
  ])('should reject %j with a UsageError', (argv, message) => {
    const { config } = parseTrainArgs(argv as string[])
    expect(() => checkWebgpuStep(config)).toThrow(UsageError)
    expect(() => checkWebgpuStep(config)).toThrow(message as RegExp)
  })

  it('should run the fused WebGPU step where it applies, unless tfjs is asked for', () => {
    expect(DEFAULT_CONFIG.webgpuStep).toBe('auto')
    const fused = parseTrainArgs([
      '--webgpu-step',
      'fused',
      '--backend',
      'webgpu',
      '--model',
      'cgan',
    ])
    expect(() => checkWebgpuStep(fused.config)).not.toThrow()
    expect(resolveWebgpuStep(fused.config, 'webgpu')).toBe('fused')
    expect(resolveWebgpuStep(DEFAULT_CONFIG, 'webgpu')).toBe('fused')
    expect(resolveWebgpuStep(DEFAULT_CONFIG, 'wasm')).toBe('tfjs')
    expect(resolveWebgpuStep({ ...DEFAULT_CONFIG, webgpuStep: 'tfjs' }, 'webgpu')).toBe('tfjs')
    expect(resolveWebgpuStep({ ...DEFAULT_CONFIG, model: 'dcgan' }, 'webgpu')).toBe('tfjs')
    expect(resolveWebgpuStep({ ...DEFAULT_CONFIG, ema: 0.999, dSteps: 3 }, 'webgpu')).toBe('fused')
    // A resumed checkpoint can bring the model: train.ts checks the merged config again.
    const resumed = { ...fused.config, model: 'dcgan' as const }
    expect(() => checkWebgpuStep(resumed)).toThrow(/--model mlp or cgan, but got dcgan/)
  })

  it('should run the fused CPU step on wasm where it applies, unless tfjs is asked for', () => {
    expect(DEFAULT_CONFIG.cpuStep).toBe('auto')
    expect(resolveCpuStep(DEFAULT_CONFIG, 'wasm')).toBe('fused')
    expect(resolveCpuStep({ ...DEFAULT_CONFIG, model: 'cgan', ema: 0.999 }, 'wasm')).toBe('fused')
    expect(resolveCpuStep(DEFAULT_CONFIG, 'cpu')).toBe('tfjs')
    expect(resolveCpuStep({ ...DEFAULT_CONFIG, cpuStep: 'tfjs' }, 'wasm')).toBe('tfjs')
    expect(resolveCpuStep({ ...DEFAULT_CONFIG, model: 'dcgan' }, 'wasm')).toBe('tfjs')
    expect(resolveCpuStep({ ...DEFAULT_CONFIG, loss: 'wgan-gp' }, 'wasm')).toBe('tfjs')
    const { config } = parseTrainArgs(['--cpu-step', 'fused', '--backend', 'webgpu'])
    expect(() => checkWebgpuStep(config)).toThrow(/Expected --backend wasm, but got webgpu for --cpu-step fused/)
    const dropout = parseTrainArgs(['--cpu-step', 'fused', '--d-dropout', '0.3']).config
    expect(() => checkWebgpuStep(dropout)).toThrow(UsageError)
  })
})
