/**
 * @module test/trainer/eval/eval
 * `npm run eval` on inputs whose answer is known, with the shipped classifier: real digits score
 * like real digits (FID ≈ 0, Inception Score near the test set's own), noise and one repeated digit
 * score badly, copied training images are flagged; then the command end to end on a small model,
 * recording into a run's `generator/manifest.json` and into a `.dgm` (its payload untouched).
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Xoshiro128 } from '../../../shared/latent/rng'
import { tensorSpecs } from '../../../shared/model/spec'
import { tutorialMlp } from '../../../shared/model/presets'
import { writeArtifact, writeModelFile } from '../../../trainer/export/artifact'
import { readModelSource } from '../../../trainer/model-source'
import { disposeClassifier, type Classifier } from '../../../trainer/eval/classifier'
import { loadClassifier } from '../../../trainer/eval/classifier-file'
import { UsageError } from '../../../trainer/cli'
import { loadMnist } from '../../../trainer/run/data'
import { evaluate, formatTable, main, scoreImages, type SetScores } from '../../../trainer/eval/eval'
import { frechetDistance } from '../../../trainer/eval/fid'
import { memorizationReport, nearestNeighbourDistances } from '../../../trainer/eval/scores'
import { initBackend } from '../../../trainer/core/backend'

const PIXELS = 784
const N = 1000
const train = loadMnist('train')
const test = loadMnist('test')

/** The images at `indices` of a split, concatenated. */
function pick(images: Uint8Array, indices: number[]): Uint8Array {
  const out = new Uint8Array(indices.length * PIXELS)
  indices.forEach((idx, i) =>
    out.set(images.subarray(idx * PIXELS, (idx + 1) * PIXELS), i * PIXELS),
  )
  return out
}

const range = (start: number, n: number, step = 1): number[] =>
  Array.from({ length: n }, (_, i) => start + i * step)
const unit = (gray: Uint8Array): Float32Array => Float32Array.from(gray, (v) => v / 255)

describe('eval metrics on known inputs', () => {
  let c: Classifier
  /** Even-indexed test digits: the reference set. */
  let reference: SetScores
  /** 1000 odd-indexed test digits: real digits the reference does not contain. */
  let real: SetScores
  let realFid: number

  beforeAll(async () => {
    await initBackend('wasm')
    c = loadClassifier()
    reference = await scoreImages(c, pick(test.images, range(0, 5000, 2)), 5000)
    real = await scoreImages(c, pick(test.images, range(1, N, 2)), N)
    realFid = frechetDistance(real.stats, reference.stats)
  })
  afterAll(() => disposeClassifier(c))

  it('should score real test digits like the test set: FID ≈ 0, same IS, all classes', () => {
    // Not exactly 0 at finite N (FID is biased by ~dim/N): ≈ 13–16 at N = 1000 on the shipped
    // classifier, against ≈ 950 for noise and ≈ 1500 for one repeated digit (tr Σ ≈ 800).
    expect(realFid).toBeLessThan(25)
    expect(Math.abs(real.inceptionScore - reference.inceptionScore)).toBeLessThan(0.3)
    expect(reference.inceptionScore).toBeGreaterThan(9)
    expect(real.coverage).toBe(10)
    expect(real.klFromUniform).toBeLessThan(0.01)
  })

  it('should score uniform noise badly', async () => {
    const rng = new Xoshiro128(1)
    const noise = Uint8Array.from({ length: N * PIXELS }, () => rng.nextUint32() & 255)
    const s = await scoreImages(c, noise, N)
    expect(frechetDistance(s.stats, reference.stats)).toBeGreaterThan(30 * realFid)
    expect(s.inceptionScore).toBeLessThan(3)
    expect(s.coverage).toBeLessThan(6)
  })

  it('should score one digit repeated as IS 1, one class, KL ln 10 and a large FID', async () => {
    const s = await scoreImages(c, pick(test.images, new Array(N).fill(0)), N)
    expect(s.inceptionScore).toBeCloseTo(1, 4)
    expect(s.coverage).toBe(1)
    expect(s.klFromUniform).toBeCloseTo(Math.log(10), 6)
    expect(frechetDistance(s.stats, reference.stats)).toBeGreaterThan(30 * realFid)
  })

  it('should flag copies of training images as memorized and pass real test digits', async () => {
    const trainRef = unit(train.images.subarray(0, 2000 * PIXELS))
    const realNn = await nearestNeighbourDistances(
      unit(test.images.subarray(0, 500 * PIXELS)),
      trainRef,
      PIXELS,
    )
    const copies = await nearestNeighbourDistances(
      unit(train.images.subarray(0, 500 * PIXELS)),
      trainRef,
      PIXELS,
    )
    const heldOut = await nearestNeighbourDistances(
      unit(test.images.subarray(500 * PIXELS, 1000 * PIXELS)),
      trainRef,
      PIXELS,
    )
    const copied = memorizationReport(copies, realNn)
    expect(copied.generatedMin).toBeLessThan(0.01)
    expect(copied.fractionBelowRealP01).toBe(1)
    const honest = memorizationReport(heldOut, realNn)
    expect(honest.fractionBelowRealP01).toBeLessThan(0.05)
    expect(honest.generatedMedian / honest.realMedian).toBeGreaterThan(0.9)
  })
})

describe('npm run eval', () => {
  let dir: string
  let model: string

  beforeAll(async () => {
    await initBackend('wasm')
    dir = mkdtempSync(join(tmpdir(), 'eval-'))
    model = join(dir, 'model')
    // An untrained generator: random weights give blobs, which eval must score as bad.
    const spec = tutorialMlp()
    const rng = new Xoshiro128(3)
    const tensors = new Map<string, Float32Array>()
    for (const t of tensorSpecs(spec.generator)) {
      const a = new Float32Array(t.shape.reduce((x, y) => x * y, 1))
      if (t.name.endsWith('.kernel')) a.forEach((_, i) => (a[i] = (rng.nextFloat() - 0.5) * 0.2))
      if (t.name.endsWith('.gamma') || t.name.endsWith('.movingVariance')) a.fill(1)
      tensors.set(t.name, a)
    }
    writeArtifact(model, { model: spec, tensors, dtype: 'f32' })
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('should report every metric and score an untrained generator above the floor', async () => {
    const r = await evaluate(
      {
        model,
        n: 200,
        record: false,
        backend: 'wasm',
        classifier: join(process.cwd(), 'models/classifier'),
        floorSets: 3,
        nnTrain: 500,
      },
      () => {},
    )
    expect(r.n).toBe(200)
    expect(r.fid).toBeGreaterThan(10 * r.fidFloor)
    // The floor is real digits' FID at the score's own n: 3 disjoint sets of 200 training digits.
    expect(r.fidFloorN).toBe(200)
    expect(r.fidFloorSets).toBe(3)
    const c = loadClassifier()
    try {
      const realStats = (await scoreImages(c, test.images, test.count)).stats
      const at = async (n: number, k: number): Promise<number> => {
        const set = train.images.subarray(k * n * PIXELS, (k + 1) * n * PIXELS)
        return frechetDistance((await scoreImages(c, set, n)).stats, realStats)
      }
      const fids = [await at(200, 0), await at(200, 1), await at(200, 2)]
      expect(r.fidFloor).toBeCloseTo((fids[0] + fids[1] + fids[2]) / 3, 6)
      expect(r.fidFloorRange).toEqual([Math.min(...fids), Math.max(...fids)])
      // At 10× the n the floor is far lower (FID's small-sample bias): a floor taken at another n
      // than the score's would be off by more than the score differences it is meant to judge.
      expect(await at(2000, 0)).toBeLessThan(r.fidFloorRange[0] / 2)
    } finally {
      disposeClassifier(c)
    }
    expect(r.inceptionScoreReal).toBeGreaterThan(9)
    expect(r.coverageReal).toBe(10)
    expect(r.klFromUniformReal).toBeLessThan(0.01)
    expect(r.histogram).toHaveLength(10)
    expect(r.histogram.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10)
    expect(r.memorization.trainSubset).toBe(500)
    expect(r.memorization.realQueries).toBe(200)
    const table = formatTable(r)
    expect(table).toMatch(/FID vs test.*3 × 200 train digits/)
    expect(table).toMatch(/Inception Score/)
    expect(table).toMatch(/class histogram: 0:/)
  })

  it("should write the JSON and record the result in a run's generator/manifest.json", async () => {
    const run = join(dir, 'run')
    cpSync(model, join(run, 'generator'), { recursive: true })
    const json = join(dir, 'out.json')
    await main(['--model', run, '--n', '100', '--nn-train', '200', '--json', json, '--record'])
    const written = JSON.parse(readFileSync(json, 'utf8'))
    const manifest = JSON.parse(readFileSync(join(run, 'generator', 'manifest.json'), 'utf8'))
    expect(manifest.eval.fid).toBe(written.fid)
    expect(manifest.eval.n).toBe(100)
    expect(manifest.eval.fidFloorN).toBe(100)
    expect(manifest.eval.fidFloor).toBe(written.fidFloor)
    expect(written.classifier.sha256).toMatch(/^[0-9a-f]{64}$/)
  })

  it('should record the result in a .dgm, packed anew around the same payload', async () => {
    const file = join(dir, 'model.dgm')
    writeModelFile(model, file)
    const before = readModelSource(file)
    expect(before.weights.manifest.eval).toBeUndefined()
    const args = ['--n', '100', '--nn-train', '200', '--floor-sets', '1', '--record']
    await main(['--model', file, ...args])
    const after = readModelSource(file)
    expect(after.kind).toBe('file')
    expect(after.weights.manifest.eval).toMatchObject({ n: 100, fidFloorSets: 1 })
    expect(after.weights.manifest.eval?.fid).toBeGreaterThan(0)
    expect(Buffer.from(after.payload).equals(Buffer.from(before.payload))).toBe(true)
    expect(after.weights.manifest.payload).toEqual(before.weights.manifest.payload)
    expect({ ...after.weights.manifest, eval: undefined }).toEqual({
      ...before.weights.manifest,
      eval: undefined,
    })
    // Written beside it and renamed: no temp file is left.
    expect(readdirSync(dir).filter((f) => f.includes('model.dgm'))).toEqual(['model.dgm'])
  })

  it('should reject a missing --model and an N out of range', async () => {
    await expect(main(['--n', '100'])).rejects.toThrow(UsageError)
    await expect(main(['--model', model, '--n', '1'])).rejects.toThrow(
      /Expected --n to be an integer >= 2/,
    )
    await expect(main(['--model', model, '--floor-sets', '0'])).rejects.toThrow(
      /Expected --floor-sets to be an integer >= 1/,
    )
  })
})
