/**
 * @module trainer/core/backends
 * The `--backend` names, apart from trainer/core/tf.ts so that parsing a config does not load
 * tfjs.
 */

/** Backend names accepted by `--backend`. */
export const BACKENDS = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const
export type BackendName = (typeof BACKENDS)[number]
