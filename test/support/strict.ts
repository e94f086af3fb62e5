/**
 * @module test/support/strict
 * Strict mode (`DIGIT_GAN_STRICT=1`, set by .ci/run): a test that needs something the machine
 * lacks — the browser, a WebGPU adapter — fails instead of skipping, so CI can never go green by
 * running less. Outside strict mode such tests skip and print why, for a user's odd machine.
 */

/** The variable that turns strict mode on (value `1`). */
export const STRICT_ENV = 'DIGIT_GAN_STRICT'

/** Whether this run is strict. */
export function isStrict(): boolean {
  return process.env[STRICT_ENV] === '1'
}

/**
 * Reports that `what` cannot run for `reason`: throws in strict mode, else prints the reason and
 * returns it, for the caller to skip with.
 * @example
 * if (adapter === null) ctx.skip(unavailable('WebGPU page test', 'requestAdapter() gave null'))
 */
export function unavailable(what: string, reason: string): string {
  if (isStrict()) throw new Error(`${what} cannot run (${STRICT_ENV}=1: no skipping): ${reason}`)
  console.log(`skipping ${what}: ${reason}`)
  return reason
}
