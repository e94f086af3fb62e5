/**
 * @module test/trainer/config
 * Defaults, presets, loss-dependent defaults, strict flags and resume merging.
 */
import { describe, expect, it } from 'vitest'
import { UsageError } from '../../trainer/cli'
import {
  DEFAULT_CONFIG,
  formatConfig,
  parseTrainArgs,
  totalSteps,
} from '../../trainer/config'
import { resumeConfig } from '../../trainer/run/run-dir'

describe('parseTrainArgs', () => {
  it('should default to the tutorial', () => {
    const { config } = parseTrainArgs([])
    expect(config).toEqual(DEFAULT_CONFIG)
    expect([config.lrD, config.lrG, config.beta1, config.beta2, config.batch, config.loss]).toEqual(
      [2e-4, 2e-4, 0.5, 0.999, 64, 'bce'],
    )
  })

  it('should map kebab-case flags onto typed keys', () => {
    const { config, explicit } = parseTrainArgs([
      '--steps',
      '200',
      '--lr-d=1e-4',
      '--d-steps',
      '2',
      '--backend',
      'wasm',
    ])
    expect(config.steps).toBe(200)
    expect(config.lrD).toBe(1e-4)
    expect(config.dSteps).toBe(2)
    expect(explicit).toEqual({ steps: 200, lrD: 1e-4, dSteps: 2, backend: 'wasm' })
  })

  it('should switch to WGAN-GP defaults unless overridden', () => {
    const wgan = parseTrainArgs(['--loss', 'wgan-gp']).config
    expect([wgan.lrD, wgan.lrG, wgan.beta1, wgan.beta2, wgan.dSteps, wgan.gpWeight]).toEqual([
      1e-4, 1e-4, 0, 0.9, 5, 10,
    ])
    expect(parseTrainArgs(['--preset', 'wgan-gp', '--d-steps', '3']).config.dSteps).toBe(3)
  })

  it('should apply presets under explicit flags', () => {
    expect(parseTrainArgs(['--preset', 'smoke']).config.steps).toBe(200)
    expect(parseTrainArgs(['--preset', 'smoke', '--steps', '7']).config.steps).toBe(7)
  })

  it.each([
    [['--bogus', '1'], /bogus/],
    [['--steps', 'ten'], /Expected --steps to be an integer >= 1, but got 'ten'/],
    [['--steps', '0'], /--steps/],
    [['--batch', '2.5'], /--batch/],
    [['--seed', '-1'], /Expected --seed to be an integer >= 0 and <= 4294967295, but got '-1'/],
    [['--steps', '-5'], /Expected --steps to be an integer >= 1, but got '-5'/],
    [['--lr-d', '-1e-3'], /Expected --lr-d to be a number >= .* and <= 1, but got '-1e-3'/],
    [['--lr-d', '0'], /--lr-d/],
    [['--loss', 'hinge'], /Expected --loss to be one of bce, wgan-gp, but got 'hinge'/],
    [['--backend', 'tpu'], /--backend/],
    [['--dtype', 'f64'], /--dtype/],
    [['--steps', '5', '--epochs', '1'], /either --steps or --epochs/],
    [['positional'], /positional/i],
    [['--webgpu-step', 'gpu'], /Expected --webgpu-step to be one of auto, fused, tfjs/],
  ])('should reject %j with a UsageError', (argv, message) => {
    expect(() => parseTrainArgs(argv as string[])).toThrow(UsageError)
    expect(() => parseTrainArgs(argv as string[])).toThrow(message as RegExp)
  })

  it('should count epochs in discriminator batches', () => {
    const { config } = parseTrainArgs(['--epochs', '2', '--batch', '100', '--d-steps', '2'])
    expect(totalSteps(config, 1000)).toBe(10)
    expect(totalSteps(DEFAULT_CONFIG, 1000)).toBe(DEFAULT_CONFIG.steps)
  })

  it('should print one aligned line per key', () => {
    expect(formatConfig(DEFAULT_CONFIG).split('\n')).toHaveLength(
      Object.keys(DEFAULT_CONFIG).length,
    )
    expect(formatConfig(DEFAULT_CONFIG)).toMatch(/ {2}lr-d +0\.0002/)
  })
})

describe('resumeConfig', () => {
  const saved = { ...DEFAULT_CONFIG, steps: 100, out: 'runs/a' }

  it('should keep run-defining values and take run-shaping flags', () => {
    const config = resumeConfig(saved, { steps: 300, logEvery: 5, backend: 'cpu' }, 'runs/a')
    expect(config).toEqual({
      ...saved,
      steps: 300,
      logEvery: 5,
      backend: 'cpu',
      resume: 'runs/a',
      out: 'runs/a',
    })
  })

  it('should reject a flag that changes the run', () => {
    expect(() => resumeConfig(saved, { batch: 128 }, 'runs/a')).toThrow(
      /Expected --batch to match the checkpoint in runs\/a \(64\), but got 128/,
    )
    expect(() => resumeConfig(saved, { batch: 64 }, 'runs/a')).not.toThrow()
  })
})
