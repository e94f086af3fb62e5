/** @module test/trainer/text-table */
import { describe, expect, it } from 'vitest'
import { textTable } from '../../trainer/text-table'

describe('textTable', () => {
  it('should pad each column to its widest cell, with no trailing spaces', () => {
    const rows = [
      ['--steps N', 'generator updates'],
      ['--out DIR', 'run folder'],
      ['--help, -h', 'print this help'],
    ]
    expect(textTable(rows, { indent: '  ' }).split('\n')).toEqual([
      '  --steps N   generator updates',
      '  --out DIR   run folder',
      '  --help, -h  print this help',
    ])
  })

  it('should right-align numbers under their headers and keep empty cells as wide', () => {
    const rows = [
      ['backend', 'batch', 'ms/step', 'dispatch/step'],
      ['wasm', '64', '116.4', ''],
      ['webgpu-fused', '256', '5.5', '120'],
    ]
    expect(textTable(rows, { numeric: true }).split('\n')).toEqual([
      'backend       batch  ms/step  dispatch/step',
      'wasm             64    116.4               ',
      'webgpu-fused    256      5.5            120',
    ])
  })

  it('should draw a rule under the header and join with the given separator', () => {
    const rows = [
      ['metric', 'value'],
      ['FID', '3.21'],
    ]
    expect(textTable(rows, { rule: true }).split('\n')).toEqual([
      'metric  value',
      '------  -----',
      'FID     3.21',
    ])
    expect(textTable(rows, { separator: ' │ ' })).toBe('metric │ value\nFID    │ 3.21')
  })
})
