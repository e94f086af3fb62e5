/**
 * @module test/tools/bench-gpu
 * The GPU report (tools/bench-gpu.ts), in a smaller form than `--quick`, on whatever WebGPU
 * adapter the tests have (SwiftShader without a GPU): every row it can measure here holds
 * finite, positive figures, the files on disk are the report it returned, and the PyTorch row —
 * PyTorch is not installed here — is absent with its reason, never an invented figure. The
 * PyTorch row's own parsing is checked against stand-in scripts. The report half skips, saying
 * why, where no WebGPU adapter exists, or fails with DIGIT_GAN_STRICT=1 (CI).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { reportOptions, runReport } from '../../tools/bench-gpu'
import { torchRow } from '../../tools/gpu-report/torch'
import { initBackend } from '../../trainer/core/backend'
import { startWebgpu, WEBGPU_TIMEOUT_MS } from '../trainer/engines/webgpu-setup'

const skipReason = await startWebgpu('GPU report test')
const dir = mkdtempSync(join(tmpdir(), 'bench-gpu-'))

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  await initBackend('wasm')
})

const positive = (x: number | undefined) =>
  expect(Number.isFinite(x) && x! > 0, String(x)).toBe(true)

describe('the PyTorch row', () => {
  it('should be absent, saying why, when Python or PyTorch is missing', async () => {
    const none = await torchRow('no-such-python-here', 'x.py', 64, { steps: 1, timeoutMs: 10_000 })
    expect(none).toEqual({
      engine: 'pytorch-cuda',
      batch: 64,
      absent: 'no-such-python-here not found',
    })
    const script = join(dir, 'fail.py')
    writeFileSync(script, 'raise ModuleNotFoundError("No module named \'torch\'")\n')
    const missing = await torchRow('python3', script, 64, { steps: 1, timeoutMs: 30_000 })
    expect(missing.absent).toMatch(/No module named 'torch'/)
    expect(missing.msPerStep).toBeUndefined()
  })

  it('should carry the figures the script prints, and nothing else', async () => {
    const script = join(dir, 'ok.py')
    writeFileSync(
      script,
      'print(\'{"device": "cuda", "ms_per_step": 4.0, "images_per_s": 16000}\')\n',
    )
    expect(await torchRow('python3', script, 64, { steps: 1, timeoutMs: 30_000 })).toEqual({
      engine: 'pytorch-cuda',
      batch: 64,
      msPerStep: 4,
      imagesPerSec: 16000,
    })
    writeFileSync(script, 'print(\'{"ms_per_step": -1}\')\n')
    const bad = await torchRow('python3', script, 64, { steps: 1, timeoutMs: 30_000 })
    expect(bad.absent).toMatch(/unreadable output/)
  })
})

describe.skipIf(skipReason !== '')('npm run bench:gpu', { timeout: 3 * WEBGPU_TIMEOUT_MS }, () => {
  it('should write a report whose every measured figure is finite and positive', async () => {
    const out = join(dir, 'report')
    const o = reportOptions(true, {
      out,
      budgetSec: 3 * 300, // a hang guard: nothing here asserts a duration
      fusedBatches: [8],
      stepsPerSubmit: [1, 2],
      tfjsBatches: [8],
      cpuBatches: [8],
      torchBatches: [8],
      cpuSteps: () => 2,
      quality: [{ model: 'cgan', batch: 8, lr: 2e-4, lrRule: 'base', seconds: 2 }],
      samples: 40,
      testImages: 200,
    })
    const report = await runReport(o, () => {})
    expect(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'))).toEqual(
      JSON.parse(JSON.stringify(report)),
    )
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('| webgpu-fused | 8 | 2 |')
    expect(report.environment.webgpuAdapter).toMatch(/adapter/)
    expect(report.notes).toEqual([])

    const engines = report.speed.map((s) => `${s.engine} ${s.batch} ${s.stepsPerSubmit ?? ''}`)
    expect(engines).toEqual([
      'webgpu-fused 8 1',
      'webgpu-fused 8 2',
      'pytorch-cuda 8 ',
      'cpu (wasm) 8 ',
      'webgpu-tfjs 8 ',
    ])
    for (const row of report.speed.filter((s) => s.engine !== 'pytorch-cuda')) {
      expect(row.absent, row.engine).toBeUndefined()
      positive(row.msPerStep)
      positive(row.imagesPerSec)
      if (row.engine.startsWith('webgpu')) {
        positive(row.counts!.dispatches)
        positive(row.counts!.submits)
      }
    }
    // Without CUDA PyTorch (as on a machine without a GPU) the row says why and holds no figure.
    const torch = report.speed.find((s) => s.engine === 'pytorch-cuda')!
    if (torch.absent === undefined) [torch.msPerStep, torch.imagesPerSec].forEach(positive)
    else {
      expect(torch.absent).toMatch(/torch|python|CUDA/i)
      expect([torch.msPerStep, torch.imagesPerSec]).toEqual([undefined, undefined])
    }

    expect(report.quality).toHaveLength(1)
    const q = report.quality[0]
    expect(q.absent).toBeUndefined()
    for (const x of [q.seconds, q.steps, q.imagesSeen, q.dLoss, q.gLoss, q.fid, q.inceptionScore]) {
      positive(x)
    }
    expect(q.conditionalAccuracy).toBeGreaterThanOrEqual(0)
    expect(q.conditionalAccuracy).toBeLessThanOrEqual(1)
    expect(existsSync(join(out, q.samples!))).toBe(true)
    positive(report.fidFloor)
    expect(report.recommendation.join('\n')).toMatch(/batch 8: fused WebGPU fastest at K = [12]/)
  })
})
