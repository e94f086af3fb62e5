/**
 * @module test/edge/bad-request
 * The shape of every query-string rejection: 400, a JSON body `{ "error": … }` that names the
 * parameter and what it allows, never cached.
 */
import { expect } from 'vitest'

/** Asserts `res` is that 400 and its error mentions every one of `fragments`. */
export async function expectBadRequest(res: Response, ...fragments: string[]): Promise<void> {
  expect(res.status).toBe(400)
  expect(res.headers.get('Content-Type')).toMatch(/^application\/json/)
  expect(res.headers.get('Cache-Control')).toBe('no-store')
  const { error } = (await res.json()) as { error: string }
  for (const fragment of fragments) expect(error).toContain(fragment)
}
