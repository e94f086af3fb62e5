/**
 * @module tools/bench-edge
 * The edge budgets, measured on this machine for the model in models/default/ (or, with
 * `MODEL=<name>` as for `npm start`, the worker of `[env.<name>]` serving models/<name>/):
 *
 * 1. bundle size: `wrangler deploy --dry-run`, gzip as wrangler reports it (budget ≤ 1 MiB);
 * 2. forward pass + PNG per image, in Node and inside workerd (`/__bench/render`) (≤ 0.5 ms for
 *    the MLPs, ≤ 5 ms for the convolutional models: half the free plan's 10 ms of CPU);
 * 3. HTTP throughput of `/generate?seed=<random>` against the constant-PNG control route
 *    `/__bench/constant?seed=<random>` on the same `wrangler dev`, same duration, alternating
 *    in `rounds` short runs per route to cancel drift (ratio ≥ 0.9). Beside req/s it reports the
 *    CPU time per request of the whole load test (this process, which runs autocannon, plus
 *    wrangler and workerd), read from /proc on Linux: when the machine is CPU-bound, as a 2-core
 *    one is here, throughput is inversely proportional to it, and unlike req/s it barely moves
 *    when other jobs share the cores. Its ratio, constant ÷ generate, is printed as a second,
 *    load-robust estimate of the throughput ratio.
 *
 * Run: `[MODEL=<name>] npm run bench:edge [-- --duration 20 --rounds 20 --connections 10
 *   --images 2000]`
 */
// Named here too, so programs that import this file for its flag table (the tests) see the types.
/// <reference path="./autocannon.d.ts" />
import autocannon from 'autocannon'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { createGenerator } from '../shared/inference/forward'
import { parseNumber, runMain } from '../trainer/cli'
import { isEntry } from '../trainer/entry'
import { textTable } from '../trainer/text-table'
import { readArtifact } from '../trainer/export/artifact'
import { parseFlags, type FlagTable } from '../trainer/flags'
import { loadKernel } from '../trainer/kernel'
import { startDevServer } from './dev-server'
import { measureRender } from '../edge/microbench'
import type { RenderTiming } from '../edge/microbench'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
/** The worker environment to measure, as the npm scripts read it ('' = the top level). */
const ENV = process.env.MODEL || process.env.CLOUDFLARE_ENV || ''
const MODEL_DIR = join(ROOT, 'models', ENV || 'default')
const ENV_ARGS = ENV ? ['--env', ENV] : []
const MIB = 1024 * 1024

/** `npm run bench:edge`'s flags: the same table parses them and prints `--help`. */
export const EDGE_BENCH_FLAGS = {
  duration: { value: 'S', default: 20, description: 'seconds of load per route, all rounds' },
  rounds: { value: 'N', default: 20, description: 'alternating runs per route' },
  connections: { value: 'N', default: 10, description: 'concurrent autocannon connections' },
  images: { value: 'N', default: 2000, description: 'images per forward + PNG timing' },
} as const satisfies FlagTable

type Flags = { -readonly [K in keyof typeof EDGE_BENCH_FLAGS]: number }

function parseBenchArgs(argv: string[]): Flags {
  const raw = parseFlags(argv, EDGE_BENCH_FLAGS, {
    usage: '[MODEL=<name>] npm run bench:edge -- [flags]',
    summary: 'Measures the edge budgets: bundle size, per-image CPU time, HTTP throughput.',
  })
  const flags = {} as Flags
  for (const [key, spec] of Object.entries(EDGE_BENCH_FLAGS)) {
    const value = raw[key as keyof Flags]
    flags[key as keyof Flags] =
      value === undefined ? spec.default : parseNumber(key, value, { min: 1, integer: true })
  }
  return flags
}

/** Seconds of each alternating run: autocannon takes whole seconds. */
function roundSeconds(flags: Flags): number {
  return Math.max(1, Math.round(flags.duration / flags.rounds))
}

/** Bundles the worker as `npm run build:edge` does; sizes of what `wrangler deploy` uploads. */
function bundleSize(): { rawBytes: number; gzipBytes: number; wranglerGzipKiB: number } {
  const outdir = mkdtempSync(join(tmpdir(), 'digit-gan-bundle-'))
  try {
    const result = spawnSync(
      join(ROOT, 'node_modules/.bin/wrangler'),
      ['deploy', '--dry-run', '--outdir', outdir, ...ENV_ARGS],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
    )
    if (result.status !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${result.stderr}`)
    // The modules only: the source map and README that --outdir also writes are not uploaded.
    const modules = readdirSync(outdir).filter((name) => /\.(js|mjs|bin|wasm)$/.test(name))
    let rawBytes = 0
    let gzipBytes = 0
    for (const name of modules) {
      const bytes = readFileSync(join(outdir, name))
      rawBytes += bytes.byteLength
      gzipBytes += gzipSync(bytes, { level: 9 }).byteLength
    }
    const reported = /Total Upload: .* gzip: ([0-9.]+) KiB/.exec(result.stdout)
    return { rawBytes, gzipBytes, wranglerGzipKiB: reported ? Number(reported[1]) : NaN }
  } finally {
    rmSync(outdir, { recursive: true, force: true })
  }
}

function nodeTiming(images: number): RenderTiming {
  const generator = createGenerator(readArtifact(MODEL_DIR), { kernel: loadKernel() })
  measureRender(generator, Math.min(images, 200), () => performance.now()) // JIT warm-up
  return measureRender(generator, images, () => performance.now())
}

async function workerdTiming(url: string, images: number): Promise<RenderTiming> {
  const get = async (n: number) => {
    const res = await fetch(`${url}/__bench/render?images=${n}`)
    if (res.status !== 200) throw new Error(`Expected 200 from /__bench/render, got ${res.status}.`)
    return (await res.json()) as RenderTiming
  }
  await get(Math.min(images, 200))
  return get(images)
}

/**
 * CPU seconds (user + system, all threads) used so far by this process and every live process it
 * started (wrangler, workerd), from /proc/<pid>/stat; NaN where there is no /proc.
 */
function treeCpuSeconds(): number {
  const USER_HZ = 100 // the unit of utime/stime in /proc/<pid>/stat on Linux
  const parent = new Map<number, number>()
  const cpu = new Map<number, number>()
  let names: string[]
  try {
    names = readdirSync('/proc').filter((name) => /^\d+$/.test(name))
  } catch {
    return NaN
  }
  for (const name of names) {
    let stat: string
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8')
    } catch {
      continue // exited meanwhile
    }
    // After "pid (comm) ": state, ppid, …; utime and stime are fields 14 and 15 of the line.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    parent.set(Number(name), Number(fields[1]))
    cpu.set(Number(name), (Number(fields[11]) + Number(fields[12])) / USER_HZ)
  }
  let total = 0
  for (const [pid, seconds] of cpu) {
    for (let p = pid; p > 1; p = parent.get(p) ?? 0) {
      if (p === process.pid) {
        total += seconds
        break
      }
    }
  }
  return total
}

/** One autocannon run over `path?seed=<random uint32>`. */
async function load(url: string, path: string, flags: Flags, duration: number) {
  const seed = () => Math.floor(Math.random() * 2 ** 32)
  const result = await autocannon({
    url,
    connections: flags.connections,
    duration,
    requests: [{ setupRequest: (request) => ({ ...request, path: `${path}?seed=${seed()}` }) }],
  })
  if (result.errors > 0 || result.non2xx > 0) {
    const failed = `${result.errors} errors and ${result.non2xx} non-2xx responses`
    throw new Error(`Expected only 200s from ${path}, but got ${failed}.`)
  }
  return result
}

type Row = [string, string, string]
const ms = (x: number) => `${x.toFixed(3)} ms`
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`

/** The routes whose throughput is compared: the real one and the constant-PNG control. */
const ROUTES = { generate: '/generate', constant: '/__bench/constant' } as const
type Route = keyof typeof ROUTES

/** What the alternating load runs measured on each route. */
interface RouteLoad {
  /** Requests per second of each run, in round order. */
  rps: number[]
  /** CPU seconds of the whole process tree over the route's runs, and the requests they served. */
  cpuSeconds: number
  requests: number
  /** The worst p50 and p99 latency of any run, ms. */
  p50: number
  p99: number
}

async function main(argv: string[]): Promise<void> {
  const flags = parseBenchArgs(argv)
  const { layers } = readArtifact(MODEL_DIR).manifest.model.generator
  const budgetMs = layers.some((l) => l.kind === 'conv2d') ? 5 : 0.5
  const model = `${MODEL_DIR.slice(ROOT.length)} (${ENV || 'top-level worker'})`
  const rows: Row[] = [['model', model, '']]
  rows.push(...bundleRows(), ...renderRows('Node', nodeTiming(flags.images), budgetMs))

  // No per-request log line: it would add the same overhead to both routes and flatter the ratio.
  const server = await startDevServer({ vars: { BENCH: '1' }, logLevel: 'warn', env: ENV })
  try {
    const workerd = await workerdTiming(server.url, flags.images)
    rows.push(...renderRows('workerd', workerd, budgetMs))
    rows.push(...throughputRows(await measureThroughput(server.url, flags)))
  } finally {
    await server.stop()
  }

  console.log(
    `\nedge bench: ${flags.connections} connections, ` +
      `${flags.rounds} × ${roundSeconds(flags)} s per route, ` +
      `${flags.images} images per timing`,
  )
  console.log(textTable(rows, { separator: ' │ ' }))
}

/** Budget 1: the bundle's size, gzip as wrangler reports it (≤ 1 MiB) and raw. */
function bundleRows(): Row[] {
  const bundle = bundleSize()
  const fits = bundle.wranglerGzipKiB * 1024 <= MIB ? '≤ 1 MiB ok' : '≤ 1 MiB OVER'
  const sizes = `${bundle.wranglerGzipKiB} KiB per wrangler (gzip -9: ${kib(bundle.gzipBytes)})`
  return [
    ['bundle gzip', sizes, fits],
    ['bundle raw', kib(bundle.rawBytes), ''],
  ]
}

/** Budget 2: forward pass + PNG per image on one runtime, against `budgetMs`. */
function renderRows(runtime: string, t: RenderTiming, budgetMs: number): Row[] {
  const perImage = t.forwardMs + t.pngMs
  return [
    [
      `${runtime}: forward + PNG`,
      `${ms(perImage)} (forward ${ms(t.forwardMs)}, PNG ${ms(t.pngMs)})`,
      `≤ ${budgetMs} ms ${perImage <= budgetMs ? 'ok' : 'OVER'}`,
    ],
    [`${runtime}: renderDigitPng`, ms(t.renderMs), ''],
    [`${runtime}: /grid?n=64&scale=16`, ms(t.gridMs), ''],
  ]
}

/**
 * Budget 3's load: short alternating runs (the order swapped every round), so that drift and
 * bursts of background load on a shared machine hit both routes alike.
 */
async function measureThroughput(url: string, flags: Flags): Promise<Record<Route, RouteLoad>> {
  for (const path of Object.values(ROUTES)) await load(url, path, flags, 2) // warm-up
  const fresh = (): RouteLoad => ({ rps: [], cpuSeconds: 0, requests: 0, p50: 0, p99: 0 })
  const loads = { generate: fresh(), constant: fresh() }
  for (let round = 0; round < flags.rounds; round++) {
    const order = ['constant', 'generate'] as const
    for (const name of round % 2 === 0 ? order : [...order].reverse()) {
      const route = loads[name]
      const cpuBefore = treeCpuSeconds()
      const result = await load(url, ROUTES[name], flags, roundSeconds(flags))
      route.cpuSeconds += treeCpuSeconds() - cpuBefore
      route.requests += result.requests.total
      // total ÷ seconds, not autocannon's per-second average: a 1 s run has one sample
      route.rps.push(result.requests.total / result.duration)
      route.p50 = Math.max(route.p50, result.latency.p50)
      route.p99 = Math.max(route.p99, result.latency.p99)
    }
  }
  return loads
}

/** Budget 3: req/s of both routes and their ratio (≥ 0.9), and the same ratio in CPU time. */
function throughputRows(loads: Record<Route, RouteLoad>): Row[] {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
  const verdict = (ratio: number) => (ratio >= 0.9 ? '≥ 0.9 ok' : '≥ 0.9 UNDER')
  const rows: Row[] = (['generate', 'constant'] as const).map((name) => {
    const { rps, p50, p99 } = loads[name]
    const latency = `p50 ${p50} ms, p99 ${p99} ms (worst run)`
    return [`${ROUTES[name]}`, `${mean(rps).toFixed(0)} req/s (${latency})`, '']
  })
  const { generate, constant } = loads
  const ratio = mean(generate.rps) / mean(constant.rps)
  rows.push(['generate / constant', ratio.toFixed(3), verdict(ratio)])
  const pairs = generate.rps.map((g, i) => (g / constant.rps[i]).toFixed(2)).join(' ')
  rows.push(['  per round', pairs, ''])
  const cpuMs = (route: RouteLoad) => (1000 * route.cpuSeconds) / route.requests
  const cpuRatio = cpuMs(constant) / cpuMs(generate)
  rows.push(
    ['CPU per request', `generate ${ms(cpuMs(generate))}, constant ${ms(cpuMs(constant))}`, ''],
    ['constant / generate CPU', cpuRatio.toFixed(3), verdict(cpuRatio)],
  )
  return rows
}

if (isEntry(import.meta.url, 'bench-edge')) runMain(main)
