/**
 * @module edge/model
 * The generator the worker serves. The artifact (`manifest.json` + `weights.bin`) is bundled into
 * the worker; it is decoded, validated and turned into a runnable generator at most once per
 * isolate. A payload that fails validation does not crash the isolate: the error is kept and every
 * model route answers 503 with its message.
 */
import { createGenerator } from '../shared/inference/forward'
import type { Generator } from '../shared/inference/forward'
import type { KernelModule } from '../shared/inference/kernel'
import { parameterCount } from '../shared/model/spec'
import { decodeWeights } from '../shared/model/weights'
import type { Manifest } from '../shared/model/weights'

/** A decoded, ready-to-run model. */
export interface LoadedModel {
  manifest: Manifest
  generator: Generator
  /** Hex sha256 of the payload, checked by `decodeWeights`: the model's identity in ETags. */
  sha256: string
  /** Scalars in the generator's tensors. */
  parameterCount: number
  /** The validated payload bytes, served to the demo page at `/model/<sha256>.bin`. */
  payload: Uint8Array<ArrayBuffer>
}

/** Returns the model, or throws {@link ModelUnavailableError} (the same one on every call). */
export type ModelLoader = () => LoadedModel

/** The bundled model could not be loaded; the app answers 503 with this message. */
export class ModelUnavailableError extends Error {
  override name = 'ModelUnavailableError'
}

/** Options for {@link createModelLoader}. */
export interface ModelLoaderOptions {
  /**
   * Decode now instead of on the first call. The worker entry sets it so the decode runs while the
   * isolate starts (which Cloudflare overlaps with the TLS handshake), not inside a request.
   */
  eager?: boolean
  /**
   * The compiled WebAssembly dense kernel (shared/inference/kernel.wasm, a `CompiledWasm` module in the
   * worker): about 6× faster than the JS path, with the same bytes. Tests may leave it out.
   */
  kernel?: KernelModule
}

/**
 * Wraps an artifact in a loader that decodes it once and caches the model or the error, so a bad
 * payload costs one decode per isolate, not one per request, and never throws at startup.
 * @example
 * const load = createModelLoader(manifestJson, weightsBin)
 * const { generator } = load() // throws ModelUnavailableError if the artifact is invalid
 */
export function createModelLoader(
  manifest: unknown,
  payload: ArrayBuffer | Uint8Array,
  options: ModelLoaderOptions = {},
): ModelLoader {
  let result = options.eager ? decode(manifest, payload, options.kernel) : undefined
  return () => {
    result ??= decode(manifest, payload, options.kernel)
    if ('error' in result) throw result.error
    return result.model
  }
}

function decode(
  manifest: unknown,
  payload: ArrayBuffer | Uint8Array,
  kernel: KernelModule | undefined,
): { model: LoadedModel } | { error: ModelUnavailableError } {
  try {
    // A bundled Data module is an ArrayBuffer, viewed in place; a view (tests pass some) is copied
    // so that the served payload owns exactly its bytes.
    const bytes = payload instanceof Uint8Array ? payload.slice() : new Uint8Array(payload)
    const weights = decodeWeights(manifest, bytes)
    const model: LoadedModel = {
      manifest: weights.manifest,
      generator: createGenerator(weights, { kernel }),
      sha256: weights.manifest.payload.sha256,
      parameterCount: parameterCount(weights.manifest.model.generator),
      payload: bytes,
    }
    return { model }
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err)
    const error = new ModelUnavailableError(`Model unavailable: ${reason}`, { cause: err })
    // Logged once per isolate (the result is cached); a broken deploy shows in `wrangler tail`.
    console.error(error)
    return { error }
  }
}
