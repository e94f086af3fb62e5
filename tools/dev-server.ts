/**
 * @module tools/dev-server
 * Starts `wrangler dev` as a child process on free local ports for the end-to-end test and the
 * benchmark (Node only). Ready means the worker answered `GET /healthz` with 200, not a log line:
 * wrangler's output changes between versions, HTTP does not. Offline, wrangler logs a harmless
 * "Unable to fetch the `Request.cf` object" error; it is kept in the logs, not treated as failure.
 */
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

/** The repository root: wrangler reads wrangler.toml from its working directory. */
const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** A running `wrangler dev`. */
export interface DevServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string
  /** Stops wrangler and its workerd children (the whole process group). */
  stop(): Promise<void>
  /** Everything wrangler printed so far, for failure messages. */
  logs(): string
  /**
   * `fetch(url + path)`, retried once if the socket drops: wrangler dev's proxy may close an idle
   * keep-alive connection just as the client reuses it ("other side closed"). Safe for the
   * idempotent GET/HEAD requests the tests send.
   */
  fetch(path: string, init?: RequestInit): Promise<Response>
}

/** Options for {@link startDevServer}. */
export interface DevServerOptions {
  /** `--var KEY:VALUE` bindings, e.g. `{ BENCH: '1' }` to mount the bench routes. */
  vars?: Record<string, string>
  /** How long to wait for the first 200 from `/healthz`. */
  timeoutMs?: number
  /** wrangler's `--log-level`; `warn` drops the per-request log line (the bench sets it). */
  logLevel?: 'debug' | 'info' | 'log' | 'warn' | 'error' | 'none'
  /**
   * Another entry module than wrangler.toml's `main`, relative to the repository root, with the
   * same rules and build step (a test serving a fixture model).
   */
  entry?: string
  /** A `[env.<name>]` of wrangler.toml (e.g. `seed-mlp`); empty or absent: the top level. */
  env?: string
  /**
   * A model from outside models/ (a run, an export or a `.dgm` file): started the way
   * `npm start -- --model PATH` does, through tools/wrangler.ts, instead of wrangler directly.
   */
  model?: string
}

/** Error for a wrangler that exits or never answers; its message ends with wrangler's output. */
export class DevServerError extends Error {
  override name = 'DevServerError'
}

/**
 * Spawns `wrangler dev` (the project's wrangler.toml) bound to 127.0.0.1 and waits until it serves.
 * @example
 * const server = await startDevServer()
 * try { await fetch(`${server.url}/generate?seed=42`) } finally { await server.stop() }
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const port = await freePort()
  const inspectorPort = await freePort()
  const vars = Object.entries(options.vars ?? {}).flatMap(([k, v]) => ['--var', `${k}:${v}`])
  const args = ['dev', ...(options.entry ? [options.entry] : [])]
  args.push('--ip', '127.0.0.1', '--port', String(port))
  args.push('--inspector-port', String(inspectorPort), '--show-interactive-dev-session=false')
  if (options.logLevel) args.push('--log-level', options.logLevel)
  if (options.env) args.push('--env', options.env)
  const [command, ...argv] = options.model
    ? [process.execPath, '--import', 'tsx', 'tools/wrangler.ts', ...args, '--model', options.model]
    : [`${ROOT}node_modules/.bin/wrangler`, ...args]
  const child = spawn(command, [...argv, ...vars], {
    cwd: ROOT,
    // Own process group, so stop() can signal wrangler and the workerd it spawns together.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' },
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  let running = true
  void exited.then(() => (running = false))

  const url = `http://127.0.0.1:${port}`
  const stop = async (): Promise<void> => {
    if (!running || child.pid === undefined) return
    process.kill(-child.pid, 'SIGTERM')
    const timer = setTimeout(() => running && process.kill(-child.pid!, 'SIGKILL'), 5_000)
    await exited
    clearTimeout(timer)
  }

  const deadline = Date.now() + (options.timeoutMs ?? 60_000)
  while (Date.now() < deadline) {
    if (!running) {
      throw new DevServerError(`Expected wrangler dev to keep running, but it exited.\n${output}`)
    }
    const status = await fetch(`${url}/healthz`).then(
      async (res) => {
        await res.body?.cancel()
        return res.status
      },
      () => 0,
    )
    if (status === 200) return { url, stop, logs: () => output, fetch: retryingFetch(url) }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  await stop()
  throw new DevServerError(`Expected wrangler dev to answer /healthz with 200 in time.\n${output}`)
}

/** A TCP port that was free a moment ago (the OS picks it). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

function retryingFetch(base: string): (path: string, init?: RequestInit) => Promise<Response> {
  return (path, init) =>
    fetch(`${base}${path}`, init).catch((err: unknown) => {
      const code = ((err as { cause?: { code?: string } }).cause ?? {}).code
      if (code !== 'UND_ERR_SOCKET' && code !== 'ECONNRESET') throw err
      return fetch(`${base}${path}`, init)
    })
}
