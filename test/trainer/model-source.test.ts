/**
 * @module test/trainer/model-source
 * The reader behind every `--model` (trainer/model-source): a run folder, its exported
 * `generator/` and its single-file model are read as the same model, and each way a path can be
 * wrong (missing, a run not exported, a file that is no model, a corrupt or cut `.dgm`, a folder
 * without its payload) is one UsageError line naming the path. The fixture is
 * test/fixtures/tiny-model in its three forms.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UsageError } from '../../trainer/cli'
import { writeModelFile } from '../../trainer/export/artifact'
import { readModelSource } from '../../trainer/model-source'

const FIXTURE = 'test/fixtures/tiny-model'
let tmp: string
/** The three forms of the fixture: a run folder, the export inside it and a single file. */
let forms: { run: string; export: string; file: string }

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'digit-gan-model-source-'))
  const run = join(tmp, 'runs', 'tiny-run')
  mkdirSync(join(run, 'checkpoint'), { recursive: true })
  cpSync(FIXTURE, join(run, 'generator'), { recursive: true })
  const file = join(tmp, 'tiny.dgm')
  writeModelFile(FIXTURE, file)
  forms = { run, export: join(run, 'generator'), file }
})
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true })
})

/** The UsageError `read` throws; fails the test when it throws nothing or something else. */
function usageError(read: () => unknown): UsageError {
  try {
    read()
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError)
    return err as UsageError
  }
  throw new Error('Expected a UsageError, but nothing was thrown.')
}

describe('readModelSource', () => {
  it('should read a run, its export and its single file as the same model', () => {
    const [run, exported, file] = [forms.run, forms.export, forms.file].map(readModelSource)
    expect([run.kind, exported.kind, file.kind]).toEqual(['run', 'export', 'file'])
    expect([run.path, exported.path, file.path]).toEqual([forms.run, forms.export, forms.file])
    // Where --record writes: the folder holding manifest.json, or none for the file.
    expect([run.dir, exported.dir, file.dir]).toEqual([forms.export, forms.export, undefined])
    // An export inside a run knows its run; a bare export or file cannot.
    expect([run.runDir, exported.runDir, file.runDir]).toEqual([forms.run, forms.run, undefined])
    expect(readModelSource(FIXTURE).runDir).toBeUndefined()
    const weights = readFileSync(join(FIXTURE, 'weights.bin'))
    const manifest = JSON.parse(readFileSync(join(FIXTURE, 'manifest.json'), 'utf8'))
    for (const source of [run, exported, file]) {
      expect(source.weights.manifest).toEqual(manifest)
      expect(Buffer.from(source.payload).equals(weights)).toBe(true)
      expect(source.weights.tensors).toEqual(exported.weights.tensors)
    }
    expect(exported.weights.tensors.size).toBeGreaterThan(0)
  })

  it('should reject each kind of bad path with one line naming it', () => {
    const corrupt = join(tmp, 'corrupt.dgm')
    const bytes = readFileSync(forms.file)
    bytes[bytes.length - 1] ^= 1
    writeFileSync(corrupt, bytes)
    const cut = join(tmp, 'cut.dgm')
    writeFileSync(cut, readFileSync(forms.file).subarray(0, 40))
    const noPayload = join(tmp, 'no-payload')
    mkdirSync(noPayload)
    cpSync(join(FIXTURE, 'manifest.json'), join(noPayload, 'manifest.json'))
    const cases: [string, string][] = [
      ['', "but got ''"],
      [join(tmp, 'missing'), 'missing does not exist'],
      [join(forms.run, 'checkpoint'), 'holds neither manifest.json nor generator/manifest.json'],
      [join(tmp, 'runs'), 'holds neither'],
      ['package.json', 'package.json is a file without the .dgm header'],
      [join(FIXTURE, 'manifest.json'), `(for an exported folder, name ${FIXTURE})`],
      [corrupt, `Invalid model ${corrupt}: Expected the payload's sha256`],
      [cut, `Invalid model ${cut}: Expected a manifest of`],
      [noPayload, `${join(noPayload, 'weights.bin')} beside its manifest, but it is missing`],
    ]
    for (const [path, message] of cases) {
      const err = usageError(() => readModelSource(path))
      expect(err.message, path).toContain(message)
      expect(err.message.split('\n'), path).toHaveLength(1)
    }
    // A run not exported yet says how to export it.
    const bare = join(tmp, 'runs', 'bare')
    mkdirSync(join(bare, 'checkpoint'), { recursive: true })
    expect(usageError(() => readModelSource(bare)).message).toContain(
      `(a run not exported yet? npm run export -- --run ${bare})`,
    )
  })
})
