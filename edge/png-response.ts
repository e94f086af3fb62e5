/**
 * @module edge/png-response
 * Turns a rendered image into an HTTP response with the caching contract of the image routes:
 * a seeded URL names exactly one byte sequence per model, so it is cached forever and revalidated
 * by ETag; an unseeded URL draws a random seed, reports it in `X-Seed` and must not be cached.
 * Routes whose every parameter is fixed (`/interpolate`) use {@link fixedImageResponse}. The ETag
 * names the model, the pipeline revision (`RENDER_REVISION`), the route and its parameters.
 */
import type { Context } from 'hono'
import { RENDER_REVISION } from '../shared/render/render'
import type { AppEnv } from './app-env'

/** `Cache-Control` for seeded images: same model + URL ⇒ same bytes, forever. */
export const IMMUTABLE = 'public, max-age=31536000, immutable'

/** What the image routes hand to {@link pngResponse}. */
export interface ImageRequest {
  /** Route name, part of the ETag so /generate and /grid never share one. */
  kind: string
  /** The requested seed; undefined draws a random one. */
  seed: number | undefined
  /** The other normalized parameters, in a fixed order. */
  params: Record<string, number>
  /** Renders the PNG for the final seed; not called for a 304. */
  render: (seed: number) => Uint8Array<ArrayBuffer>
}

/** What {@link fixedImageResponse} needs: no seed to draw, so the URL alone names the bytes. */
export interface FixedImageRequest {
  /** Route name, part of the ETag. */
  kind: string
  /** The normalized parameters, in a fixed order. */
  params: Record<string, number | string>
  /** Renders the image; not called for a 304. */
  render: () => Uint8Array<ArrayBuffer>
  /** Defaults to `image/png`. */
  contentType?: string
}

/**
 * Answers an image request: 304 when a seeded request's `If-None-Match` matches, else the PNG.
 * @example
 * const render = (s: number) => renderDigitPng(generator, s, scale)
 * return pngResponse(c, { kind: 'generate', seed, params: { scale }, render })
 */
export function pngResponse(c: Context<AppEnv>, request: ImageRequest): Response {
  const model = c.var.model
  const fixed = request.seed !== undefined
  const seed = request.seed ?? randomSeed()
  const params = `seed=${seed}${etagParams(request.params)}`
  const etag = `"${model.sha256}:r${RENDER_REVISION}:${request.kind}:${params}"`
  const headers: Record<string, string> = {
    // On the 304 too: a 304 without a type looks compressible to gzipping proxies (wrangler dev's
    // does it), and a `Content-Encoding: gzip` on a 304 would corrupt the client's cached headers.
    'Content-Type': 'image/png',
    ETag: etag,
    'Cache-Control': fixed ? IMMUTABLE : 'no-store',
    'X-Seed': String(seed),
    'X-Model': model.sha256,
  }
  // A random request asks for a new image, so it is never answered with 304.
  return respond(c, headers, fixed, () => request.render(seed))
}

/**
 * Answers a request whose parameters fully name the image: immutable caching, ETag and 304 as for
 * a seeded {@link pngResponse}, no `X-Seed`.
 * @example
 * const render = () => renderInterpolationPng(generator, from, to, steps, scale)
 * return fixedImageResponse(c, { kind: 'interpolate', params: { from, to, steps, scale }, render })
 */
export function fixedImageResponse(c: Context<AppEnv>, request: FixedImageRequest): Response {
  const model = c.var.model
  const etag = `"${model.sha256}:r${RENDER_REVISION}:${request.kind}${etagParams(request.params)}"`
  const headers: Record<string, string> = {
    'Content-Type': request.contentType ?? 'image/png',
    ETag: etag,
    'Cache-Control': IMMUTABLE,
    'X-Model': model.sha256,
  }
  return respond(c, headers, true, request.render)
}

function etagParams(params: Record<string, number | string>): string {
  return Object.entries(params)
    .map(([key, value]) => `:${key}=${value}`)
    .join('')
}

/** 304 when revalidation is allowed and `If-None-Match` matches, else the rendered body. */
function respond(
  c: Context<AppEnv>,
  headers: Record<string, string>,
  revalidate: boolean,
  render: () => Uint8Array<ArrayBuffer>,
): Response {
  if (revalidate && etagMatches(c.req.header('If-None-Match'), headers.ETag)) {
    return c.body(null, 304, headers)
  }
  const body = render()
  // Explicit so that HEAD, whose body is dropped, still reports the size.
  headers['Content-Length'] = String(body.byteLength)
  return c.body(body, 200, headers)
}

/** A uniformly random uint32 from the platform CSPRNG. */
export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]
}

/**
 * `If-None-Match` per RFC 9110 §13.1.2: `*` or a comma-separated list of entity tags, compared
 * weakly (a `W/` prefix is ignored).
 */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  if (header.trim() === '*') return true
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)
}
