/**
 * The layering of the project, checked by `npm run lint:deps` (part of `npm test`):
 * data → trainer → artifact → shared engine → edge. Type-only imports count
 * (tsPreCompilationDeps), so a type cannot smuggle a dependency in.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles, type-only ones included.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'shared-is-self-contained',
      severity: 'error',
      comment:
        'shared/ runs everywhere (worker, browser, Node): it imports only itself and the npm ' +
        'packages it already uses (fflate, @noble/hashes).',
      from: { path: '^shared/' },
      to: {
        pathNot: ['^shared/', '^node_modules/(fflate|@noble/hashes)/'],
      },
    },
    {
      name: 'engine-imports-only-shared',
      severity: 'error',
      comment:
        'engine/ holds the fused training steps, runtime-free so a browser page can run them: ' +
        'it imports only shared/, itself and the WebGPU API types.',
      from: { path: '^engine/' },
      to: {
        pathNot: ['^engine/', '^shared/', '^node_modules/@webgpu/types/', '^@webgpu/types$'],
      },
    },
    {
      name: 'edge-imports-shared-hono-and-its-bundle',
      severity: 'error',
      comment:
        'edge/ is the worker: shared/, hono, the models it bundles and the built web bundle ' +
        'it serves; never trainer/, engine/, tools/ or web/ sources. The bundle is built by ' +
        'tools/build-web.ts; before the first build its import is unresolved (../../dist-web/).',
      from: { path: '^edge/' },
      to: {
        pathNot: ['^edge/', '^shared/', '^node_modules/hono/', '^models/', '^(\\.\\./)*dist-web/'],
      },
    },
    {
      name: 'web-imports-shared-and-engine',
      severity: 'error',
      comment: 'web/ is the browser pages: shared/, engine/ and itself.',
      from: { path: '^web/' },
      to: { pathNot: ['^web/', '^shared/', '^engine/'] },
    },
    {
      name: 'tfjs-only-in-trainer',
      severity: 'error',
      comment: 'tfjs lives in trainer/ (and the tests and tools that drive it).',
      from: { pathNot: ['^trainer/', '^test/', '^tools/'] },
      to: { path: '^node_modules/@tensorflow/' },
    },
    {
      name: 'tools-are-leaves',
      severity: 'error',
      comment: 'tools/ are benchmarks, dev servers and build scripts: only tests and npm scripts use them.',
      from: { pathNot: ['^tools/', '^test/', '^vitest\\.config\\.ts$'] },
      to: { path: '^tools/' },
    },
    {
      name: 'trainer-is-not-imported-by-products',
      severity: 'error',
      comment: 'trainer/ is Node-only: shared/, engine/, edge/ and web/ never import it.',
      from: { path: '^(shared|engine|edge|web)/' },
      to: { path: '^trainer/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.d.ts', '.js', '.json'],
    },
    // Not node_modules: doNotFollow keeps the cruise out of packages, but an excluded package
    // would drop the imports of it too, and the rules about npm packages would never fire.
    exclude: { path: '^dist/|^dist-web/|^\\.wrangler/' },
  },
}
