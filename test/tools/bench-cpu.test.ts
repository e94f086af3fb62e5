/**
 * @module test/tools/bench-cpu
 * The PyTorch rows of bench:train (tools/bench-cpu.ts): the JSON line of tools/torch_step.py
 * becomes a row, and every way of not having PyTorch becomes a stated absence, never a number.
 * A stub `python3` on PATH stands in for the real one.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { torchStep } from '../../tools/bench-cpu'

const PATH = process.env.PATH
let dir: string | undefined

/** Puts a `python3` that runs `script` (sh) first on PATH. */
function stubPython(script: string): void {
  dir = mkdtempSync(join(tmpdir(), 'digit-gan-python-'))
  const file = join(dir, 'python3')
  writeFileSync(file, `#!/bin/sh\n${script}\n`)
  chmodSync(file, 0o755)
  process.env.PATH = `${dir}:${PATH}`
}

afterEach(() => {
  process.env.PATH = PATH
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = undefined
})

describe('torchStep', () => {
  it('should read the ms per step from torch_step.py and pass it the threads and batch', () => {
    // Answers only to `torch_step.py --threads 1 --batch 64 --steps 10`.
    stubPython(
      '[ "$2 $3 $4 $5 $6 $7" = "--threads 1 --batch 64 --steps 10" ] || exit 3\n' +
        'echo \'{"device": "cpu", "threads": 1, "batch": 64, "torch": "1.13.1", "blas": "openblas", "ms_per_step": 11.1, "images_per_s": 5766}\'',
    )
    expect(torchStep(1, 64, 10)).toEqual({ msPerStep: 11.1, version: '1.13.1', blas: 'openblas' })
  })

  it('should run the python it is given, and say so when that one has no torch', () => {
    stubPython(`echo "ModuleNotFoundError: No module named 'torch'" >&2; exit 1`)
    const other = join(dir!, 'python-with-torch')
    writeFileSync(
      other,
      '#!/bin/sh\necho \'{"torch": "2.13.0+cpu", "blas": "mkl", "ms_per_step": 17.1}\'\n',
    )
    chmodSync(other, 0o755)
    expect(torchStep(1, 64, 10, other)).toEqual({ msPerStep: 17.1, version: '2.13.0+cpu', blas: 'mkl' })
    expect(torchStep(1, 64, 10)).toEqual({ absent: 'python3 has no torch' })
    expect(torchStep(1, 64, 10, '/nonexistent/python')).toEqual({
      absent: '/nonexistent/python not runnable (ENOENT)',
    })
  })

  it('should say the row is absent when python3 has no torch', () => {
    stubPython(`echo "ModuleNotFoundError: No module named 'torch'" >&2; exit 1`)
    expect(torchStep(1, 64, 10)).toEqual({ absent: 'python3 has no torch' })
  })

  it('should say the row is absent when the script fails or prints something else', () => {
    stubPython('echo "RuntimeError: out of memory" >&2; exit 1')
    expect(torchStep(2, 64, 10)).toEqual({
      absent: 'torch_step.py failed: RuntimeError: out of memory',
    })
    stubPython('echo hello')
    expect(torchStep(2, 64, 10)).toEqual({ absent: 'unexpected torch_step.py output: hello' })
  })

  it('should say the row is absent when there is no python3', () => {
    process.env.PATH = '/nonexistent'
    expect(torchStep(1, 64, 10)).toEqual({ absent: 'python3 not runnable (ENOENT)' })
  })
})
