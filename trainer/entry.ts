/**
 * @module trainer/entry
 * "Is this module the command being run?" for every file that is both a library and a command:
 * the trainer's commands, the tools, the ONNX examples and test/support/chromium-pack.
 *
 * It compares the module's own URL with the script Node was started on, not file names: the
 * ONNX example `examples/onnx/generate.ts` imports `trainer/generate.ts`, and a name check would
 * start both commands. The price: a bundle gives all its modules one URL, so a bundled build
 * needs one bundle per command (there is none today; tsx runs the sources).
 */
import { pathToFileURL } from 'node:url'

/**
 * True when the script being run (`process.argv[1]`) is the module at `moduleUrl`.
 * @example if (isEntry(import.meta.url)) runMain(main)
 */
export function isEntry(moduleUrl: string): boolean {
  const script = process.argv[1]
  return script !== undefined && pathToFileURL(script).href === moduleUrl
}
