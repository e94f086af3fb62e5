/**
 * @module edge/app-env
 * The Hono environment every route shares: the optional bench binding and the per-request model
 * that the app's `withModel` middleware sets. Its own file so that the routes (edge/routes/) and
 * the app that mounts them (edge/app.ts) both import it without importing each other.
 */
import type { MiddlewareHandler } from 'hono'
import type { LoadedModel } from './model'

/** Hono environment of the app: the optional bench binding and the per-request model. */
export interface AppEnv {
  Bindings: Partial<Cloudflare.Env>
  Variables: { model: LoadedModel }
}

/** The app's middleware that sets `c.var.model` (a route that needs the model lists it). */
export type WithModel = MiddlewareHandler<AppEnv>
