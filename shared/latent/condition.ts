/**
 * @module shared/latent/condition
 * Which class a conditional generator draws for a seed when the caller names none.
 *
 * Rule (part of the served contract, like the latent sampler): `label = seed mod classes`, so
 * `/generate?seed=42` keeps one meaning (digit 2 with latent 42, the same image as
 * `?seed=42&digit=2`) and consecutive seeds cycle through every class. Unconditional generators
 * take no label.
 */

/**
 * The label for `seed` on a generator with `classes` classes; undefined when `classes` is 0.
 * @example seedLabel(42, 10) // 2
 */
export function seedLabel(seed: number, classes: number): number | undefined {
  return classes > 0 ? seed % classes : undefined
}
