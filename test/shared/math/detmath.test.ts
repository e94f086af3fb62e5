import { describe, expect, it } from 'vitest'
import { detExp, detExpm1, detLog, detSigmoid, detTanh } from '../../../shared/math/detmath'
import { Xoshiro128 } from '../../../shared/latent/rng'

const F64 = new Float64Array(1)
const I64 = new BigInt64Array(F64.buffer)

/** Doubles mapped onto a monotonic integer line, so that neighbours differ by 1. */
function ordinal(x: number): bigint {
  F64[0] = x
  const bits = I64[0]
  return bits < 0n ? -(bits & 0x7fffffffffffffffn) : bits
}

/** Distance in units in the last place; 0 for identical values, including NaN and ±0. */
function ulps(a: number, b: number): number {
  if (Number.isNaN(a) && Number.isNaN(b)) return 0
  if (a === b) return 0
  if (!Number.isFinite(a) || !Number.isFinite(b)) return Infinity
  return Math.abs(Number(ordinal(a) - ordinal(b)))
}

/** Engines approximate Math.* to within about 1 ulp; ours is < 1 ulp from exact. */
const MAX_ULPS = 2

function sweep(n: number, draw: (rng: Xoshiro128) => number): number[] {
  const rng = new Xoshiro128(2024)
  return Array.from({ length: n }, () => draw(rng))
}

function expectClose(f: (x: number) => number, ref: (x: number) => number, xs: number[]): void {
  let worst = 0
  let worstX = 0
  for (const x of xs) {
    const d = ulps(f(x), ref(x))
    if (d > worst) {
      worst = d
      worstX = x
    }
  }
  expect(worst, `worst at x = ${worstX}`).toBeLessThanOrEqual(MAX_ULPS)
}

const SUBNORMALS = [5e-324, 1e-320, 2.2250738585072e-308, 2.225073858507201e-308]

describe('detLog', () => {
  it('should match Math.log within a few ulp across the whole positive range', () => {
    const xs = sweep(100_000, (r) => 2 ** ((r.nextFloat() - 0.5) * 2098) * (1 + r.nextFloat()))
    expectClose(detLog, Math.log, xs)
  })

  it('should match Math.log near 1, where the small-|f| branch runs', () => {
    const xs = sweep(20_000, (r) => 1 + (r.nextFloat() - 0.5) * 2 ** -18)
    expectClose(detLog, Math.log, [...xs, 1 + 2 ** -52, 1 - 2 ** -53, 2, 0.5, Math.E])
  })

  it('should match Math.log on subnormals and the extremes', () => {
    expectClose(detLog, Math.log, [...SUBNORMALS, Number.MAX_VALUE, Number.MIN_VALUE])
  })

  it('should handle the special values like the IEEE log', () => {
    expect(detLog(0)).toBe(-Infinity)
    expect(detLog(-0)).toBe(-Infinity)
    expect(detLog(1)).toBe(0)
    expect(detLog(Infinity)).toBe(Infinity)
    expect(detLog(-1)).toBeNaN()
    expect(detLog(-Infinity)).toBeNaN()
    expect(detLog(NaN)).toBeNaN()
  })
})

describe('detExp', () => {
  it('should match Math.exp within a few ulp over [-746, 710]', () => {
    const xs = sweep(100_000, (r) => (r.nextFloat() - 0.5) * 1456 - 18)
    expectClose(detExp, Math.exp, xs)
  })

  it('should match Math.exp for small and boundary arguments', () => {
    const xs = sweep(20_000, (r) => (r.nextFloat() - 0.5) * 2)
    const edges = [1, -1, 0.5 * Math.LN2, 1.5 * Math.LN2, 1e-10, -1e-10, 1e-300, 700, -700]
    expectClose(detExp, Math.exp, [...xs, ...edges])
  })

  it('should overflow to Infinity and underflow through subnormals to 0', () => {
    expect(detExp(709.78)).toBeLessThan(Infinity)
    expect(detExp(709.79)).toBe(Infinity)
    expect(detExp(1000)).toBe(Infinity)
    expectClose(detExp, Math.exp, [-740, -744, -745.1, 709.782712893384])
    expect(detExp(-745.2)).toBe(0)
    expect(detExp(-1000)).toBe(0)
  })

  it('should handle the special values', () => {
    expect(detExp(0)).toBe(1)
    expect(detExp(-0)).toBe(1)
    expect(detExp(1)).toBe(Math.E)
    expect(detExp(Infinity)).toBe(Infinity)
    expect(detExp(-Infinity)).toBe(0)
    expect(detExp(NaN)).toBeNaN()
    expect(detExp(5e-324)).toBe(1)
  })
})

describe('detExpm1', () => {
  it('should match Math.expm1 within a few ulp', () => {
    const wide = sweep(50_000, (r) => (r.nextFloat() - 0.5) * 120)
    const narrow = sweep(50_000, (r) => (r.nextFloat() - 0.5) * 2 ** -10)
    expectClose(detExpm1, Math.expm1, [...wide, ...narrow, 700, -40, 1e-300, ...SUBNORMALS])
  })

  it('should handle the special values', () => {
    expect(Object.is(detExpm1(-0), -0)).toBe(true)
    expect(detExpm1(Infinity)).toBe(Infinity)
    expect(detExpm1(-Infinity)).toBe(-1)
    expect(detExpm1(800)).toBe(Infinity)
    expect(detExpm1(NaN)).toBeNaN()
  })
})

describe('detTanh', () => {
  it('should match Math.tanh within a few ulp', () => {
    const xs = sweep(100_000, (r) => (r.nextFloat() - 0.5) * 60 * r.nextFloat() ** 3)
    const edges = [1, -1, 0.5, 0.99999, 1.00001, 21.99, 2 ** -28, 2 ** -54, -(2 ** -56)]
    expectClose(detTanh, Math.tanh, [...xs, ...edges])
  })

  it('should saturate to exactly ±1 for large |x|', () => {
    for (const x of [22, 25, 100, 1e300, Infinity]) {
      expect(detTanh(x)).toBe(1)
      expect(detTanh(-x)).toBe(-1)
    }
  })

  it('should keep zero, its sign and subnormals', () => {
    expect(Object.is(detTanh(0), 0)).toBe(true)
    expect(Object.is(detTanh(-0), -0)).toBe(true)
    for (const x of SUBNORMALS) {
      expect(detTanh(x)).toBe(x)
      expect(detTanh(-x)).toBe(-x)
    }
    expect(detTanh(NaN)).toBeNaN()
  })

  it('should be odd and stay within [-1, 1]', () => {
    const bad = sweep(10_000, (r) => (r.nextFloat() - 0.5) * 50).filter(
      (x) => detTanh(-x) !== -detTanh(x) || Math.abs(detTanh(x)) > 1,
    )
    expect(bad).toEqual([])
  })
})

describe('detSigmoid', () => {
  it('should match 1 / (1 + Math.exp(-x)) within a few ulp and saturate to 0 and 1', () => {
    const xs = sweep(20_000, (r) => (r.nextFloat() - 0.5) * 80)
    expectClose(detSigmoid, (x) => 1 / (1 + Math.exp(-x)), xs)
    expect(detSigmoid(0)).toBe(0.5)
    expect(detSigmoid(800)).toBe(1)
    expect(detSigmoid(-800)).toBe(0)
    expect(detSigmoid(-Infinity)).toBe(0)
    expect(detSigmoid(Infinity)).toBe(1)
  })
})
