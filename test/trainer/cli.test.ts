/**
 * @module test/trainer/cli
 * The pieces every command shares, in process: flag tables parse and print `--help`, negative
 * numbers reach the range check, and output paths are checked (and folders made) one level at a
 * time, leaving nothing behind. The /proc paths that used to hang run in subprocesses
 * (cli-commands.test.ts), where a hang is killed instead of stalling the suite.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  assertWritableDir,
  assertWritableFile,
  HelpRequested,
  makeDirs,
  parseNumber,
  UsageError,
  writeFileAtomic,
} from '../../trainer/cli'
import { formatHelp, parseFlags, type FlagTable } from '../../trainer/flags'

const FLAGS = {
  steps: { value: 'N', default: 10, description: 'generator updates' },
  lrD: { value: 'LR', shownDefault: '2e-4 (1e-4 for wgan-gp)', description: "D's learning rate" },
  out: { value: 'DIR', required: true, description: 'run folder' },
  record: { type: 'boolean', description: 'record the result' },
} as const satisfies FlagTable
const HELP = { usage: 'npm run demo -- [flags]', summary: 'A demo command.' }

const parse = (argv: string[]) => parseFlags(argv, FLAGS, HELP)

describe('parseFlags', () => {
  it('should map --kebab-case flags onto the camelCase keys of the table', () => {
    expect(parse(['--lr-d', '1e-3', '--steps=7', '--record'])).toEqual({
      lrD: '1e-3',
      steps: '7',
      record: true,
    })
  })

  it('should pass a negative number to the flag, so the range check can name the range', () => {
    expect(parse(['--steps', '-5'])).toEqual({ steps: '-5' })
    expect(parse(['--lr-d', '-.5', '--out', '-x'])).toEqual({ lrD: '-.5', out: '-x' })
    const steps = parse(['--steps', '-5']).steps!
    expect(() => parseNumber('steps', steps, { min: 1, integer: true })).toThrow(
      "Expected --steps to be an integer >= 1, but got '-5'.",
    )
  })

  it('should keep a --flag after a valued flag a flag, and leave switches and -- alone', () => {
    expect(() => parse(['--out', '--steps', '3'])).toThrow(/argument is ambiguous/)
    expect(() => parse(['--record', '-5'])).toThrow(UsageError)
    expect(() => parse(['--', '--steps', '-5'])).toThrow(/positional/)
  })

  it('should reject unknown flags and positionals with one line that points to --help', () => {
    for (const argv of [['--bogus', '1'], ['positional'], ['--out']]) {
      const error = (() => {
        try {
          parse(argv)
        } catch (err) {
          return err as Error
        }
      })()
      expect(error, argv.join(' ')).toBeInstanceOf(UsageError)
      expect(error!.message).not.toContain('\n')
      expect(error!.message).toMatch(/; see --help\.$/)
    }
  })

  it('should answer --help and -h with the help text, whatever else is on the line', () => {
    for (const argv of [['--help'], ['-h'], ['--steps', '-5', '--bogus', '--help']]) {
      expect(() => parse(argv), argv.join(' ')).toThrow(HelpRequested)
    }
    try {
      parse(['--help'])
    } catch (err) {
      expect((err as Error).message).toBe(formatHelp(FLAGS, HELP))
    }
  })
})

describe('formatHelp', () => {
  it('should list every flag of the table with its value, description and default', () => {
    const help = formatHelp(FLAGS, HELP)
    expect(help.split('\n')).toEqual([
      'A demo command.',
      '',
      'Usage: npm run demo -- [flags]',
      '',
      'Flags:',
      '  --steps N   generator updates [default: 10]',
      "  --lr-d LR   D's learning rate [default: 2e-4 (1e-4 for wgan-gp)]",
      '  --out DIR   run folder [required]',
      '  --record    record the result',
      '  --help, -h  print this help and exit',
      '',
    ])
  })
})

describe('output paths', () => {
  let dir: string
  let file: string

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'digit-gan-cli-paths-'))
    file = join(dir, 'a-file')
    writeFileSync(file, 'x')
  })
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  it('should make folders one level at a time and report the ones it made', () => {
    const target = join(dir, 'made', 'a', 'b')
    expect(makeDirs(target)).toEqual([join(dir, 'made'), join(dir, 'made/a'), target])
    expect(statSync(target).isDirectory()).toBe(true)
    expect(makeDirs(target)).toEqual([])
  })

  it('should refuse a folder below a file, naming the file', () => {
    expect(() => makeDirs(join(file, 'sub', 'deeper'))).toThrow(
      expect.objectContaining({ code: 'ENOTDIR', path: file }),
    )
  })

  it('should check a folder or a file path by writing, and leave nothing behind', () => {
    const before = readdirSync(dir).sort()
    assertWritableDir('out', join(dir, 'new', 'run'))
    assertWritableFile('out', join(dir, 'new', 'digit.png'))
    expect(readdirSync(dir).sort()).toEqual(before)
  })

  it.each([
    ['a folder below a file', () => assertWritableDir('out', join(file, 'run')), /ENOTDIR at/],
    ['a folder that is a file', () => assertWritableDir('out', file), /it is a file/],
    ['a file below a file', () => assertWritableFile('out', join(file, 'x.png')), /ENOTDIR at/],
    ['a file that is a folder', () => assertWritableFile('out', dir), /is a folder/],
    ['an empty path', () => assertWritableDir('out', ''), /but got ''/],
  ])('should refuse %s with a UsageError naming --out', (_, check, message) => {
    expect(check).toThrow(UsageError)
    expect(check).toThrow(message)
    expect(check).toThrow(/--out/)
  })

  it('should write a file atomically into new folders, and remove them if the write fails', () => {
    writeFileAtomic(join(dir, 'w', 'x', 'out.json'), '{}')
    expect(readdirSync(join(dir, 'w', 'x'))).toEqual(['out.json'])
    // A 250-character name is legal, but its temp file's name (255 at most on Linux) is not: the
    // write fails after the folders for it were made, and they go again.
    expect(() => writeFileAtomic(join(dir, 'fresh', 'sub', 'x'.repeat(250)), '{}')).toThrow(
      expect.objectContaining({ code: 'ENAMETOOLONG' }),
    )
    expect(existsSync(join(dir, 'fresh'))).toBe(false)
  })
})
