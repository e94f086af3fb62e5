/**
 * @module trainer/entry
 * "Is this module the command being run?" for every file that is both a library and a command:
 * the trainer's commands, the tools, the ONNX examples and test/support/chromium-pack.
 *
 * Two checks, because each alone starts the wrong command somewhere:
 * - the module's own URL is the script Node was started on: `examples/onnx/generate.ts` imports
 *   `trainer/generate.ts`, and a file-name check alone would start both;
 * - the script's file name is the module's `name`: in a bundle (the GPU report's, see
 *   tools/gpu-report/) every module shares the bundle's URL, and a URL check alone would start
 *   every command bundled in it.
 */
import { basename, extname } from 'node:path'
import { pathToFileURL } from 'node:url'

/**
 * True when the script being run (`process.argv[1]`) is the module at `moduleUrl`, named `name`
 * (its file name without extension, as a bundle of it would be named).
 * @example if (isEntry(import.meta.url, 'train')) runMain(main)
 */
export function isEntry(moduleUrl: string, name: string): boolean {
  const script = process.argv[1]
  if (script === undefined) return false
  return pathToFileURL(script).href === moduleUrl && basename(script, extname(script)) === name
}
