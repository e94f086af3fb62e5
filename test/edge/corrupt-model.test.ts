/**
 * @module test/edge/corrupt-model
 * A bundled artifact that fails validation must not take the worker down: every model route
 * answers 503 with the validation error, the rest of the API keeps working.
 */
import { describe, expect, it, vi } from 'vitest'
import { createApp } from '../../edge/app'
import { createModelLoader, ModelUnavailableError } from '../../edge/model'
import manifest from '../fixtures/tiny-model/manifest.json'
import weights from '../fixtures/tiny-model/weights.bin'

const MODEL_ROUTES = [
  '/generate?seed=42',
  '/generate',
  '/grid?seed=1&n=4',
  '/interpolate?from=1&to=2',
  '/model',
  '/healthz',
  '/?seed=1',
  `/model/${manifest.payload.sha256}.bin`,
]

function flipped(buffer: ArrayBuffer, index: number): Uint8Array {
  const copy = new Uint8Array(buffer.slice(0))
  copy[index] ^= 0xff
  return copy
}

describe('a corrupt model', () => {
  it.each([
    ['a flipped payload byte', () => createModelLoader(manifest, flipped(weights, 100))],
    ['a truncated payload', () => createModelLoader(manifest, weights.slice(0, 1000))],
    ['an empty payload', () => createModelLoader(manifest, new Uint8Array(0))],
    ['another format', () => createModelLoader({ ...manifest, format: 'x' }, weights)],
    ['a manifest that is not an object', () => createModelLoader('manifest', weights)],
  ])('should answer 503 JSON on every model route for %s', async (_, makeLoader) => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    const app = createApp(makeLoader())
    for (const route of MODEL_ROUTES) {
      const res = await app.request(route)
      expect(res.status, route).toBe(503)
      expect(res.headers.get('Content-Type')).toMatch(/^application\/json/)
      expect(res.headers.get('Cache-Control')).toBe('no-store')
      const { error } = (await res.json()) as { error: string }
      expect(error).toMatch(/^Model unavailable: ./)
    }
    // Decoded (and logged) once per isolate, not once per request.
    expect(log).toHaveBeenCalledTimes(1)
    log.mockRestore()
    expect((await app.request('/nope')).status).toBe(404)
    expect((await app.request('/generate?seed=-1')).status).toBe(400)
  })

  it('should throw the same ModelUnavailableError from the loader on every call', () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    const load = createModelLoader(manifest, flipped(weights, 0), { eager: true })
    expect(log).toHaveBeenCalledTimes(1)
    log.mockRestore()
    let first: unknown
    try {
      load()
    } catch (err) {
      first = err
    }
    expect(first).toBeInstanceOf(ModelUnavailableError)
    expect(() => load()).toThrow(first as Error)
  })
})
