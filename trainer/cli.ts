/**
 * @module trainer/cli
 * What every trainer command shares: one readable error line instead of a stack trace (and
 * `--help` on stdout with exit 0), number flags checked against their range, output paths checked
 * before any work, and atomic file writes. The flag tables themselves are in trainer/flags.ts.
 *
 * Folders are created one level at a time ({@link makeDirs}), never with Node's
 * `mkdirSync(path, { recursive: true })`: that call spins forever at 100 % CPU when a parent that
 * exists answers ENOENT for a new child, as /proc does (`--out /proc/x/y`).
 */
import { mkdirSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'

/** A mistake by the user (flag, value, path): printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}

/** `--help` was given; the message is the help text, printed on stdout with exit code 0. */
export class HelpRequested extends Error {
  override name = 'HelpRequested'
}

/** Parses a flag value as a number, failing with a message that names the flag and range. */
export function parseNumber(
  flag: string,
  raw: string,
  { min = -Infinity, max = Infinity, integer = false } = {},
): number {
  const value = raw.trim() === '' ? NaN : Number(raw)
  const kind = integer ? 'an integer' : 'a number'
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
    const range = `${min === -Infinity ? '' : ` >= ${min}`}${min !== -Infinity && max !== Infinity ? ' and' : ''}${max === Infinity ? '' : ` <= ${max}`}`
    throw new UsageError(`Expected --${flag} to be ${kind}${range}, but got '${raw}'.`)
  }
  return value
}

/**
 * Checks a flag value against the names it accepts.
 * @throws UsageError listing them.
 * @example parseChoice('backend', 'gpu', BACKENDS) // Expected --backend to be one of auto, …
 */
export function parseChoice<T extends string>(flag: string, raw: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new UsageError(`Expected --${flag} to be one of ${allowed.join(', ')}, but got '${raw}'.`)
  }
  return raw as T
}

/** An fs-style error for a path that must be a folder but is not. */
function notADirectory(path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOTDIR: not a directory, '${path}'`), {
    code: 'ENOTDIR',
    path,
  })
}

/** Removes folders `makeDirs` created, innermost first; ones that are no longer empty stay. */
export function removeDirs(created: readonly string[]): void {
  for (const dir of [...created].reverse()) {
    try {
      rmdirSync(dir)
    } catch {
      // Not empty (someone else wrote there meanwhile) or gone: leave it.
    }
  }
}

/**
 * `mkdir -p` one level at a time: finds the nearest existing ancestor (it must be a folder), then
 * creates each missing level with a plain `mkdir`, so every failure (ENOENT under /proc, ENOTDIR
 * under a file, EACCES, EROFS) is an error at once instead of a hang. On failure, removes what it
 * created. Returns the folders it created, outermost first.
 * @throws the fs error of the level that failed (its `code` and `path` name it).
 * @example makeDirs('runs/smoke/samples') // ['runs/smoke', 'runs/smoke/samples'] on a fresh clone
 */
export function makeDirs(path: string): string[] {
  const missing: string[] = []
  let dir = resolve(path)
  for (;;) {
    let isDirectory: boolean | undefined
    try {
      isDirectory = statSync(dir).isDirectory()
    } catch {
      // Missing, or below a file (ENOTDIR): look one level up.
    }
    if (isDirectory === false) throw notADirectory(dir)
    if (isDirectory) break
    const parent = dirname(dir)
    missing.unshift(dir)
    if (parent === dir) break // a root that does not stat: the mkdir below names the error
    dir = parent
  }
  const created: string[] = []
  try {
    for (const level of missing) {
      try {
        mkdirSync(level)
        created.push(level)
      } catch (err) {
        // Created meanwhile by someone else is fine, as long as it is a folder.
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
        if (!statSync(level).isDirectory()) throw notADirectory(level)
      }
    }
  } catch (err) {
    removeDirs(created)
    throw err
  }
  return created
}

/**
 * Proves `dir` can take new files by creating it (if missing) and a probe file in it, then
 * removing both: access() can pass where writing fails (read-only mounts, /proc), so only a write
 * is a real test. Leaves nothing behind.
 * @throws UsageError "Expected --flag PATH to be WHAT, but got CODE at WHERE."
 */
function probeDir(flag: string, path: string, dir: string, what: string): void {
  let created: string[] = []
  const probe = join(dir, `.write-test.${process.pid}`)
  try {
    created = makeDirs(dir)
    writeFileSync(probe, '')
    rmSync(probe, { force: true })
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    const at = e.path === probe ? dir : e.path
    const where = at && resolve(at) !== resolve(path) ? ` at ${at}` : ''
    const reason = `${e.code ?? e.message}${where}`
    throw new UsageError(`Expected --${flag} ${path} to be ${what}, but got ${reason}.`, {
      cause: err,
    })
  } finally {
    removeDirs(created)
  }
}

/** What `path` is now: a folder, a file (or other non-folder), or nothing there. */
function kindOf(path: string): 'folder' | 'file' | 'none' {
  try {
    return statSync(path).isDirectory() ? 'folder' : 'file'
  } catch {
    return 'none'
  }
}

/**
 * Fails at once, before any work, when `--flag path` cannot become a folder of new files: it is
 * a file, lies under a file, or cannot be created or written. Creates nothing that stays.
 * @throws UsageError naming the flag, the path and the reason.
 * @example assertWritableDir('out', 'runs/smoke')
 */
export function assertWritableDir(flag: string, path: string): void {
  if (path.trim() === '') throw new UsageError(`Expected --${flag} to be a folder, but got ''.`)
  if (kindOf(path) === 'file') {
    throw new UsageError(`Expected --${flag} ${path} to be a folder, but it is a file.`)
  }
  probeDir(flag, path, path, 'a writable folder')
}

/**
 * Fails at once, before any work, when `--flag path` cannot be written as a file: it is a folder,
 * or its folder cannot be created or written. Creates nothing that stays.
 * @throws UsageError naming the flag, the path and the reason.
 * @example assertWritableFile('out', '42.png')
 */
export function assertWritableFile(flag: string, path: string): void {
  if (path === '') throw new UsageError(`Expected --${flag} to be a file path, but got ''.`)
  if (kindOf(path) === 'folder') {
    throw new UsageError(`Expected --${flag} to be a file path, but ${path} is a folder.`)
  }
  probeDir(flag, path, dirname(resolve(path)), 'a writable file path')
}

/**
 * Writes a file atomically: a temp file beside it, then rename, so readers never see half a file.
 * Missing folders are created (and removed again if the write fails).
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const created = makeDirs(dirname(path))
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`)
  try {
    writeFileSync(tmp, data)
    renameSync(tmp, path)
  } catch (err) {
    try {
      rmSync(tmp, { force: true })
    } catch {
      // The temp file's name itself was refused (ENAMETOOLONG): there is nothing to remove.
    }
    removeDirs(created)
    throw err
  }
}

/** The first line of an error's message (or of the thrown value), for one-line reports. */
export function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]
}

/**
 * Runs a command's main function with its arguments (`process.argv` after the script): errors
 * become one line on stderr and a non-zero exit, `--help` its text on stdout and exit 0. Set
 * DEBUG=1 to see the stack.
 * @example if (isEntry(import.meta.url, 'cli')) runMain(main)
 */
export function runMain(main: (argv: string[]) => Promise<void>): void {
  main(process.argv.slice(2)).catch((err: unknown) => {
    if (err instanceof HelpRequested) {
      process.stdout.write(err.message)
      process.exit(0)
    }
    const e = err instanceof Error ? err : new Error(String(err))
    if (process.env.DEBUG) console.error(e)
    process.stderr.write(`error: ${firstLine(e)}\n`)
    process.exit(e instanceof UsageError ? 2 : 1)
  })
}
