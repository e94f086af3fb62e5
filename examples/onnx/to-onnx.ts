/**
 * @module examples/onnx/to-onnx
 * Writes a model artifact (`models/<name>/`, or a run's `generator/`) as an ONNX file, for
 * runtimes other than the project's engine. A training run gets one from `npm run export`
 * (`runs/<name>/generator.onnx`); the shipped models carry none, so this makes one from the
 * artifact. Quantized kernels (q14, q15) are expanded to float32 (stored integer × step), so the
 * graph computes what the engine computes, up to float32 rounding.
 *
 * Run: `npx tsx examples/onnx/to-onnx.ts models/default default.onnx`
 */
import { readArtifact } from '../../trainer/export/artifact'
import { runMain, UsageError, writeFileAtomic } from '../../trainer/cli'
import { isEntry } from '../../trainer/entry'
import { exportOnnx } from '../../trainer/export/onnx'

/**
 * The ONNX bytes of the generator in artifact folder `dir`.
 * @example writeFileSync('default.onnx', artifactToOnnx('models/default'))
 */
export function artifactToOnnx(dir: string): Uint8Array {
  const { manifest, tensors } = readArtifact(dir)
  return exportOnnx(manifest.model, tensors)
}

async function main(argv: string[]): Promise<void> {
  const [dir, out, ...rest] = argv
  if (!dir || !out || rest.length > 0) {
    throw new UsageError(
      `Expected two arguments, MODEL_DIR OUT.onnx, but got ${argv.length}: ${argv.join(' ')}`,
    )
  }
  const bytes = artifactToOnnx(dir)
  writeFileAtomic(out, bytes)
  console.log(`wrote ${out} (${(bytes.length / 1024).toFixed(0)} KiB) from ${dir}`)
}

if (isEntry(import.meta.url, 'to-onnx')) runMain(main)
