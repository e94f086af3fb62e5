/**
 * @module test/trainer/cli-run
 * Runs a trainer command the way `npm run <name>` does (tsx), without npx's extra process. Every
 * run has a time limit, so a command that hangs fails its test (killed: `status` null, `signal`
 * set) instead of hanging the suite.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface CliRun {
  status: number | null
  /** The signal that ended it: SIGKILL when it ran past the time limit. */
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface CliRunOptions {
  /** Kill the command after this long (default 60 s, the node project's test timeout). */
  timeoutMs?: number
  /** Extra environment variables. */
  env?: Record<string, string>
}

/** Spawns `node --import tsx <script> ...args` in the repository root and collects its output. */
export function runCli(
  script: string,
  args: string[],
  { timeoutMs = 60_000, env = {} }: CliRunOptions = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: ROOT,
      env: { ...process.env, DEBUG: '', ...env },
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }))
  })
}
