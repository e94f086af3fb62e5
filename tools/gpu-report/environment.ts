/**
 * @module tools/gpu-report/environment
 * The machine a GPU report ran on: Node, CPU, the WebGPU adapter Dawn found (and whether it is a
 * software one), and the NVIDIA driver when `nvidia-smi` answers — so figures from two boxes are
 * never compared unawares.
 */
import { execFileSync } from 'node:child_process'
import { cpus, totalmem } from 'node:os'

/** `nvidia-smi`'s GPU name, driver and memory, or why there is none. */
function nvidiaDriver(): string {
  try {
    const out = execFileSync(
      'nvidia-smi',
      ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader'],
      { timeout: 10_000, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    )
    return out.trim().split('\n').join('; ') || 'nvidia-smi printed nothing'
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    return code === 'ENOENT' ? 'none (no nvidia-smi)' : `nvidia-smi failed (${code ?? 'error'})`
  }
}

/** What the report says about the machine, before any measurement. */
export function describeMachine(): Record<string, string | number | boolean> {
  const cpu = cpus()
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu: `${cpu[0]?.model ?? 'unknown'} × ${cpu.length}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    nvidiaDriver: nvidiaDriver(),
    vulkanDriver: process.env.VK_ICD_FILENAMES ?? process.env.VK_DRIVER_FILES ?? 'system default',
  }
}
