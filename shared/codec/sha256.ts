/**
 * @module shared/codec/sha256
 * The project's SHA-256: lowercase hex of some bytes, synchronous and runtime-free (worker,
 * browser, Node alike). It names payloads everywhere: the manifest checksum, ETags and `X-Model`,
 * the content-hashed script and payload URLs, the generated worker entries. Taken from
 * @noble/hashes because WebCrypto's `digest` is async-only and node:crypto is Node-only.
 *
 * One reader hashes with node:crypto instead: trainer/run/checkpoint.ts, whose payloads are an
 * order of magnitude larger and hashed on every save and load (the numbers are there).
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'

/**
 * Lowercase hex SHA-256 of `bytes`.
 *
 * @example
 * sha256Hex(new Uint8Array()) // 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
 */
export function sha256Hex(bytes: Uint8Array): string {
  return bytesToHex(sha256(bytes))
}
