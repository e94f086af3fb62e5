/**
 * @module trainer/core/backends
 * The `--backend` names and what choosing one returns, apart from trainer/core/backend.ts so
 * that parsing a config does not load tfjs.
 */

/** Backend names accepted by `--backend`. */
export const BACKENDS = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const
export type BackendName = (typeof BACKENDS)[number]

/** The requested backend cannot run here; the message says what to install or change. */
export class BackendError extends Error {
  override name = 'BackendError'
}

/** What `initBackend` chose, and why, in one printable line. */
export interface BackendChoice {
  backend: string
  reason: string
}
