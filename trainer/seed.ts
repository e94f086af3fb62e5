/**
 * @module trainer/seed
 * The trainer's name for shared/seed.ts (seeds of every random draw from the run seed and the
 * draw's coordinates); the code lives in shared/ because the fused CPU step (engine/cpu) draws its
 * latents and labels by the same rule without the trainer.
 */
export { mixSeed, SEED_PURPOSE } from '../shared/seed'
