/**
 * @module tools/gpu-report/torch
 * The reference row of the GPU report: the same GAN step in PyTorch eager on CUDA
 * (tools/torch_step.py), in a child process with a time limit. Where Python, PyTorch or CUDA is
 * missing the row is absent and says which, in one line; it never holds a number that was not
 * measured.
 */
import { execFile } from 'node:child_process'
import type { SpeedRow } from './report'

/** The last non-empty line of `text`, trimmed to one readable line. */
function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
  return (lines[lines.length - 1] ?? '').slice(0, 200)
}

/**
 * Times `python script --device cuda --batch B --steps N`; the row is absent (with the reason)
 * when the command fails, times out or prints no valid figures.
 * @example await torchRow('python3', 'tools/torch_step.py', 64, { steps: 200, timeoutMs: 60_000 })
 */
export function torchRow(
  python: string,
  script: string,
  batch: number,
  o: { steps: number; timeoutMs: number },
): Promise<SpeedRow> {
  const engine = 'pytorch-cuda'
  const args = [script, '--device', 'cuda', '--batch', String(batch), '--steps', String(o.steps)]
  return new Promise((resolve) => {
    execFile(
      python,
      args,
      { timeout: o.timeoutMs, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        if (err) {
          const e = err as NodeJS.ErrnoException & { killed?: boolean }
          const absent =
            e.code === 'ENOENT'
              ? `${python} not found`
              : e.killed
                ? `timed out after ${o.timeoutMs / 1000} s`
                : lastLine(stderr) || lastLine(e.message)
          resolve({ engine, batch, absent })
          return
        }
        try {
          const r = JSON.parse(lastLine(stdout)) as {
            ms_per_step?: unknown
            images_per_s?: unknown
          }
          const ms = Number(r.ms_per_step)
          if (!(Number.isFinite(ms) && ms > 0))
            throw new Error(`no ms_per_step in ${lastLine(stdout)}`)
          resolve({ engine, batch, msPerStep: ms, imagesPerSec: (batch * 1000) / ms })
        } catch (parseError) {
          resolve({ engine, batch, absent: `unreadable output: ${(parseError as Error).message}` })
        }
      },
    )
  })
}
