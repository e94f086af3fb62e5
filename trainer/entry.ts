/**
 * @module trainer/entry
 * "Is this module the command being run?" for files that are both a library and a command
 * (train, export, bench). It compares the script's file name rather than `import.meta.url`: in a
 * bundle every module shares one URL, and export's command must not start inside train's.
 */
import { basename, extname } from 'node:path'

/**
 * True when the script being run (`process.argv[1]`) is named `name`: `trainer/train.ts` under
 * tsx, or a build such as `train.mjs`.
 * @example if (isEntry('train')) runMain(main)
 */
export function isEntry(name: string): boolean {
  const script = process.argv[1]
  return script !== undefined && basename(script, extname(script)) === name
}
