import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // The worker imports the demo page's script bundle (dist-web/demo.js, git-ignored) as text:
    // tools/build-web.ts builds it before any test runs, so `vitest run` works on a fresh clone.
    // test/support/global-setup.ts unpacks Chromium and SwiftShader from npm and exports the
    // Vulkan variables before the workers start, which inherit them (the WebGPU tests need them).
    globalSetup: ['./tools/build-web.ts', './test/support/global-setup.ts'],
    projects: [
      {
        test: {
          name: 'node',
          include: ['test/shared/**/*.test.ts', 'test/trainer/**/*.test.ts', 'test/tools/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          // Set-up hooks load MNIST, the classifier and the wasm backend: slow on a busy 2-core box.
          hookTimeout: 120_000,
        },
      },
      {
        // Edge tests run inside workerd, with the bindings and module rules of wrangler.toml.
        plugins: [cloudflareTest({ wrangler: { configPath: './wrangler.toml' } })],
        test: {
          name: 'workers',
          include: ['test/edge/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        // Starts `wrangler dev` and the Node CLI as child processes: slow, so kept apart.
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
})
