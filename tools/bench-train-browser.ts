/**
 * @module tools/bench-train-browser
 * Training speed in the browser against Node, the same fused CPU step in both: steps per second of
 * the /train page (Chromium from npm, test/support/browser.ts, against `wrangler dev`) on its
 * WebAssembly engine at one thread and at one per core, next to the Node engine
 * (engine/cpu via trainer/engines/cpu-threads.ts) at one thread — the baseline of the ratios —
 * and at one per core, in the same run on the same machine. A WebGPU row is added where the
 * browser has an adapter (a software one, SwiftShader, is timed over 20 steps only: it manages
 * about one a second).
 *
 *   npm run bench:browser                            # batch 64, 100 timed steps, 2 rounds
 *   npm run bench:browser -- --batch 32 --steps 200 --rounds 3
 *
 * The browser rows are the page as a person runs it: the training worker, its progress messages,
 * the sample grid every 3 s and the periodic checkpoint included. Each row: `--warmup` steps
 * first (compilation, data load and first grid excluded), then the rate over `--steps` steps,
 * read from the page's step counter (polled every 20 ms: under 1 % of a timed window); the rows
 * are measured in `--rounds` interleaved rounds (Node and browser alternating, so a busy machine
 * slows both alike) and each keeps its best. MNIST data, the tutorial MLP, seed 1337.
 */
import { availableParallelism } from 'node:os'
import type { Page } from 'playwright-core'
import { createCpuEngine } from '../engine/cpu/engine'
import { openPage, startBrowser } from '../test/support/browser'
import { parseNumber, runMain } from '../trainer/cli'
import { createNodeThreadPool, loadCpuStepModule } from '../trainer/engines/cpu-threads'
import { isEntry } from '../trainer/entry'
import { parseFlags, type FlagTable } from '../trainer/flags'
import { loadMnist } from '../trainer/run/data'
import { textTable } from '../trainer/text-table'
import { DEFAULT_SETTINGS, engineOptions, modelSpec } from '../web/train/settings'
import { startDevServer } from './dev-server'

/** One measured row. */
export interface BrowserBenchRow {
  where: 'Node' | 'browser'
  engine: string
  threads: string
  stepsPerSec: number
}

const FLAGS = {
  batch: { value: 'N', default: 64, description: 'images per batch' },
  steps: { value: 'N', default: 100, description: 'timed steps per row' },
  warmup: { value: 'N', default: 20, description: 'steps before timing' },
  rounds: { value: 'N', default: 2, description: 'interleaved rounds (each row: its best)' },
} as const satisfies FlagTable

/** The table: steps/s and the ratio to the first row (Node, one thread). */
export function formatBrowserBench(rows: BrowserBenchRow[]): string {
  const base = rows[0]?.stepsPerSec ?? NaN
  return textTable(
    [
      ['engine', 'threads', 'steps/s', 'vs Node 1 thread'],
      ...rows.map((r) => [
        `${r.where}: ${r.engine}`,
        r.threads,
        r.stepsPerSec.toFixed(1),
        `${(r.stepsPerSec / base).toFixed(2)}×`,
      ]),
    ],
    { numeric: true, rule: true },
  )
}

async function nodeRate(batch: number, threads: number, warmup: number, steps: number) {
  const settings = { ...DEFAULT_SETTINGS, batch }
  const engine = await createCpuEngine({
    model: modelSpec('mlp'),
    options: engineOptions(settings),
    module: loadCpuStepModule(),
    data: loadMnist('train'),
    pool: threads > 1 ? createNodeThreadPool(threads - 1) : undefined,
  })
  try {
    await engine.run(warmup)
    const t0 = performance.now()
    await engine.run(steps)
    return (steps * 1000) / (performance.now() - t0)
  } finally {
    engine.dispose()
  }
}

/** The page's rate on `engine` with `threads` (0: one per core); undefined if it trains elsewhere. */
async function browserRate(
  page: Page,
  url: string,
  options: { engine: 'wasm' | 'webgpu'; threads: number; batch: number },
  warmup: number,
  steps: number,
): Promise<{ rate: number; line: string } | undefined> {
  await page.goto(`${url}/train`)
  await page.waitForFunction(() => document.body.dataset.ready === 'true')
  if (!(await page.isDisabled('#reset'))) await page.click('#reset') // an earlier row's run
  await page.waitForFunction(() => document.body.dataset.status === 'idle')
  await page.selectOption('#engine', options.engine)
  await page.selectOption('#threads', String(options.threads))
  await page.fill('#batch', String(options.batch))
  await page.fill('#stopAt', '0')
  await page.click('#start')
  const at = (n: number) =>
    page.waitForFunction(
      (target) => {
        if (document.body.dataset.status === 'failed') return { failed: true }
        const step = Number(document.querySelector('#step')?.textContent)
        return step >= target ? { step, t: performance.now() } : false
      },
      n,
      { polling: 20, timeout: 600_000 },
    )
  const first = (await (await at(warmup)).jsonValue()) as { step: number; t: number; failed?: true }
  if (first.failed) return undefined
  const last = (await (await at(first.step + steps)).jsonValue()) as { step: number; t: number }
  const line = (await page.textContent('#engine-line')) ?? ''
  await page.click('#pause')
  if (
    options.engine === 'webgpu' &&
    (await page.getAttribute('#engine-line', 'data-kind')) !== 'webgpu'
  ) {
    return undefined
  }
  return { rate: ((last.step - first.step) * 1000) / (last.t - first.t), line }
}

async function main(argv: string[]): Promise<void> {
  const flags = parseFlags(argv, FLAGS, {
    usage: 'npm run bench:browser -- [flags]',
    summary: 'Steps per second of the /train page against the Node CPU engine.',
  })
  const number = (name: keyof typeof FLAGS) =>
    flags[name] === undefined
      ? FLAGS[name].default
      : parseNumber(name, flags[name], { min: 1, integer: true })
  const [batch, steps, warmup, rounds] = [
    number('batch'),
    number('steps'),
    number('warmup'),
    number('rounds'),
  ]
  const cores = availableParallelism()
  const best = new Map<string, BrowserBenchRow>()
  const keep = (row: BrowserBenchRow) => {
    const key = `${row.where}|${row.engine}|${row.threads}`
    if ((best.get(key)?.stepsPerSec ?? -1) < row.stepsPerSec) best.set(key, row)
    console.log(
      `${row.where}, ${row.engine}, ${row.threads} thread(s): ${row.stepsPerSec.toFixed(1)} steps/s`,
    )
  }
  const start = await startBrowser('the browser rows')
  if (!('browser' in start)) {
    throw new Error(`Expected a browser for the browser rows: ${start.skipReason}`)
  }
  const server = await startDevServer({ logLevel: 'warn' })
  try {
    const { page } = await openPage(start.browser)
    const cpu = 'WebAssembly (fused CPU step)'
    for (let round = 0; round < rounds; round++) {
      for (const threads of [1, cores]) {
        const rate = await nodeRate(batch, threads, warmup, steps)
        keep({ where: 'Node', engine: cpu, threads: String(threads), stepsPerSec: rate })
      }
      for (const threads of [1, 0]) {
        const measured = await browserRate(
          page,
          server.url,
          { engine: 'wasm', threads, batch },
          warmup,
          steps,
        )
        const shown = /(\d+) threads?\)/.exec(measured?.line ?? '')?.[1] ?? '?'
        if (measured)
          keep({ where: 'browser', engine: cpu, threads: shown, stepsPerSec: measured.rate })
      }
    }
    // Once: a software adapter (SwiftShader) manages about one step a second, over a short window.
    const gpu = await browserRate(
      page,
      server.url,
      { engine: 'webgpu', threads: 0, batch },
      Math.min(warmup, 5),
      Math.min(steps, 20),
    )
    if (gpu) {
      const adapter = /adapter: ([^;,.]+)/.exec(gpu.line)?.[1] ?? 'unnamed adapter'
      keep({ where: 'browser', engine: `WebGPU (${adapter})`, threads: '-', stepsPerSec: gpu.rate })
    } else console.log('browser, WebGPU: no adapter here')
  } finally {
    await server.stop()
    await start.browser.close()
  }
  console.log(
    `\nbatch ${batch}, ${steps} timed steps after ${warmup}, best of ${rounds} interleaved ` +
      `rounds, ${cores} cores\n`,
  )
  console.log(formatBrowserBench([...best.values()]))
}

if (isEntry(import.meta.url, 'bench-train-browser')) runMain(main)
