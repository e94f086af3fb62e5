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
import { decodeWeights, type DecodedWeights } from '../shared/model/weights'
import { parseNumber, runMain } from '../trainer/cli'
import { isEntry } from '../trainer/entry'
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
  const generator = createGenerator(loadModel(), { kernel: loadKernel() })
  measureRender(generator, Math.min(images, 200), () => performance.now()) // JIT warm-up
  return measureRender(generator, images, () => performance.now())
}

function loadModel(): DecodedWeights {
  const manifest: unknown = JSON.parse(readFileSync(join(MODEL_DIR, 'manifest.json'), 'utf8'))
  return decodeWeights(manifest, readFileSync(join(MODEL_DIR, 'weights.bin')))
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

async function main(): Promise<void> {
  const flags = parseBenchArgs(process.argv.slice(2))
  const rows: [string, string, string][] = []
  const ms = (x: number) => `${x.toFixed(3)} ms`
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`
  const convolutional = loadModel().manifest.model.generator.layers.some((l) => l.kind === 'conv2d')
  const budgetMs = convolutional ? 5 : 0.5
  const perImage = (t: RenderTiming): [string, string] => [
    `${ms(t.forwardMs + t.pngMs)} (forward ${ms(t.forwardMs)}, PNG ${ms(t.pngMs)})`,
    `≤ ${budgetMs} ms ${t.forwardMs + t.pngMs <= budgetMs ? 'ok' : 'OVER'}`,
  ]
  rows.push(['model', `${MODEL_DIR.slice(ROOT.length)} (${ENV || 'top-level worker'})`, ''])

  const bundle = bundleSize()
  const fits = bundle.wranglerGzipKiB * 1024 <= MIB ? '≤ 1 MiB ok' : '≤ 1 MiB OVER'
  const sizes = `${bundle.wranglerGzipKiB} KiB per wrangler (gzip -9: ${kib(bundle.gzipBytes)})`
  rows.push(['bundle gzip', sizes, fits])
  rows.push(['bundle raw', kib(bundle.rawBytes), ''])

  const node = nodeTiming(flags.images)
  rows.push(['Node: forward + PNG', ...perImage(node)])
  rows.push(['Node: renderDigitPng', ms(node.renderMs), ''])
  rows.push(['Node: /grid?n=64&scale=16', ms(node.gridMs), ''])

  // No per-request log line: it would add the same overhead to both routes and flatter the ratio.
  const server = await startDevServer({ vars: { BENCH: '1' }, logLevel: 'warn', env: ENV })
  try {
    const workerd = await workerdTiming(server.url, flags.images)
    rows.push(['workerd: forward + PNG', ...perImage(workerd)])
    rows.push(['workerd: renderDigitPng', ms(workerd.renderMs), ''])
    rows.push(['workerd: /grid?n=64&scale=16', ms(workerd.gridMs), ''])

    const routes = { generate: '/generate', constant: '/__bench/constant' } as const
    for (const path of Object.values(routes)) await load(server.url, path, flags, 2) // warm-up
    const rps = { generate: [] as number[], constant: [] as number[] }
    const cpuSeconds = { generate: 0, constant: 0 }
    const requests = { generate: 0, constant: 0 }
    const p50 = { generate: 0, constant: 0 }
    const p99 = { generate: 0, constant: 0 }
    // Short alternating runs (the order swapped every round), so that drift and bursts of
    // background load on a shared machine hit both routes alike.
    for (let round = 0; round < flags.rounds; round++) {
      const order = ['constant', 'generate'] as const
      for (const name of round % 2 === 0 ? order : [...order].reverse()) {
        const cpuBefore = treeCpuSeconds()
        const result = await load(server.url, routes[name], flags, roundSeconds(flags))
        cpuSeconds[name] += treeCpuSeconds() - cpuBefore
        requests[name] += result.requests.total
        // total ÷ seconds, not autocannon's per-second average: a 1 s run has one sample
        rps[name].push(result.requests.total / result.duration)
        p50[name] = Math.max(p50[name], result.latency.p50)
        p99[name] = Math.max(p99[name], result.latency.p99)
      }
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
    for (const name of ['generate', 'constant'] as const) {
      const latency = `p50 ${p50[name]} ms, p99 ${p99[name]} ms (worst run)`
      rows.push([`${routes[name]}`, `${mean(rps[name]).toFixed(0)} req/s (${latency})`, ''])
    }
    const ratio = mean(rps.generate) / mean(rps.constant)
    rows.push(['generate / constant', ratio.toFixed(3), ratio >= 0.9 ? '≥ 0.9 ok' : '≥ 0.9 UNDER'])
    const pairs = rps.generate.map((g, i) => (g / rps.constant[i]).toFixed(2)).join(' ')
    rows.push(['  per round', pairs, ''])
    const cpuMs = (name: keyof typeof routes) => (1000 * cpuSeconds[name]) / requests[name]
    const cpuRatio = cpuMs('constant') / cpuMs('generate')
    rows.push([
      'CPU per request',
      `generate ${ms(cpuMs('generate'))}, constant ${ms(cpuMs('constant'))}`,
      '',
    ])
    rows.push([
      'constant / generate CPU',
      cpuRatio.toFixed(3),
      cpuRatio >= 0.9 ? '≥ 0.9 ok' : '≥ 0.9 UNDER',
    ])
  } finally {
    await server.stop()
  }

  const width = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length)))
  console.log(
    `\nedge bench: ${flags.connections} connections, ` +
      `${flags.rounds} × ${roundSeconds(flags)} s per route, ` +
      `${flags.images} images per timing`,
  )
  for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(width[i])).join(' │ '))
}

if (isEntry('bench')) runMain(main)
