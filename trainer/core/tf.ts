/**
 * @module trainer/core/tf
 * The one tfjs instance the trainer uses. Backend selection is trainer/core/backend.ts.
 *
 * Everything imports `tf` from here (never `@tensorflow/tfjs-*` directly) so there is exactly one
 * engine and one set of registered kernels; mixing instances is tfjs's classic
 * "backend.select is not a function" / "Platform node has already been set" failure.
 */
import * as tf from '@tensorflow/tfjs-core'
// The gradient definitions of every op live only in the union package's Node bundle (tfjs-core's
// CommonJS build ships none), so it is loaded for that side effect; it registers them on the same
// tfjs-core instance imported above. It also registers the cpu backend.
import '@tensorflow/tfjs'

export { tf }
