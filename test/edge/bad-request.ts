/**
 * @module test/edge/bad-request
 * The shape of every error the app answers: a JSON body `{ "error": … }` that names what was wrong
 * and what is allowed, never cached. Query-string rejections are its 400s.
 */
import { expect } from 'vitest'

/** Asserts `res` is a JSON error with `status` whose message mentions every one of `fragments`. */
export async function expectJsonError(
  res: Response,
  status: number,
  ...fragments: string[]
): Promise<void> {
  expect(res.status).toBe(status)
  expect(res.headers.get('Content-Type')).toMatch(/^application\/json/)
  expect(res.headers.get('Cache-Control')).toBe('no-store')
  const { error } = (await res.json()) as { error: string }
  for (const fragment of fragments) expect(error).toContain(fragment)
}

/** Asserts `res` is the 400 of a rejected query and its error mentions every one of `fragments`. */
export async function expectBadRequest(res: Response, ...fragments: string[]): Promise<void> {
  await expectJsonError(res, 400, ...fragments)
}
