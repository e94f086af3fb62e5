/**
 * @module edge/train-page
 * The HTML of the training page at `/train`: a real MNIST GAN trained in the visitor's browser
 * (web/train/page.ts on the main thread, web/train/worker.ts in a Web Worker), on WebAssembly
 * threads or WebGPU, with the tutorial's balance knobs, live loss curves and samples, and the
 * result downloadable as a `.dgm` model that `npm start -- --model FILE` serves.
 *
 * Only the asset URLs the build named (content-hashed) go into the markup, as JSON the script
 * reads; the page has the demo page's look (edge/demo-page.ts `STYLE`). Without JavaScript it
 * says what it needs.
 */
import { jsonForHtml, STYLE } from './demo-page'

/** The built assets the page names (dist-web/train-assets.json, written by tools/build-train.ts). */
export interface TrainPageAssets {
  /** `/train/page.<hash>.js`. */
  page: string
  /** `/train/worker.<hash>.js`. */
  worker: string
  /** What the worker loads (web/train/protocol.ts `TrainAssets`), passed through as is. */
  assets: Record<string, unknown>
}

const TRAIN_STYLE = `
main.train { grid-template-columns: minmax(17rem, 22rem) 1fr; }
@media (max-width: 52rem) { main.train { grid-template-columns: 1fr; } }
.knob { display: grid; grid-template-columns: 1fr 9ch; gap: 0.1rem 0.5rem; align-items: center; }
.knob label { margin: 0.3rem 0 0; }
.knob code, label code { font-size: 0.8em; opacity: 0.75; white-space: nowrap; }
.knob input { width: 100%; box-sizing: border-box; }
progress { width: 100%; }
.stats { font-variant-numeric: tabular-nums; display: flex; gap: 1.25rem; flex-wrap: wrap;
  margin: 0.25rem 0 0.75rem; }
.stats strong { font-size: 1.3rem; }
#chart { width: 100%; max-width: 640px; height: auto; aspect-ratio: 640 / 360; background: #fff;
  border-radius: 0.25rem; }
canvas#grid, canvas#try-view { width: 100%; max-width: 320px; }
.panels { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); }
#warnings li { color: #b35c00; margin-bottom: 0.4rem; }
#log { max-height: 12rem; overflow: auto; font-size: 0.85rem; padding-left: 1.5rem; }
#error { color: #c62828; font-weight: 600; }
code.sha { word-break: break-all; font-size: 0.8rem; }
`

/** One labelled number input of a knob, with its flag name (the same knob in `npm run train`). */
function knob(id: string, label: string, flag: string, attrs: string): string {
  const code = flag === '' ? '' : ` <code>${flag}</code>`
  return `<div class="knob"><label for="${id}">${label}${code}</label>
      <input id="${id}" type="number" ${attrs} required></div>`
}

/**
 * The page naming the built assets.
 * @example c.html(renderTrainPage(trainAssets))
 */
export function renderTrainPage(built: TrainPageAssets): string {
  const config = { worker: built.worker, assets: built.assets }
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>digit-gan: train a GAN in your browser</title>
<link rel="icon" href="data:,">
<style>${STYLE}${TRAIN_STYLE}</style>
<script type="module" src="${built.page}"></script>
</head>
<body>
<header>
  <h1>Train a GAN in your browser</h1>
  <p>The tutorial's MNIST GAN, trained here on your machine by the same fused training step the
  Node trainer runs: WebGPU when your browser offers an adapter, WebAssembly threads otherwise.
  Turn the balance knobs while it learns; take the generator away as one <code>.dgm</code> file
  that <code>npm start -- --model FILE</code> serves.</p>
  <noscript><p>Training runs in JavaScript and WebAssembly: this page needs them.</p></noscript>
</header>
<main class="train">
<div>
  <form id="setup">
  <fieldset>
    <legend>Run</legend>
    <label for="model">Model <code>--model</code></label>
    <select id="model">
      <option value="mlp">mlp: the tutorial GAN</option>
      <option value="cgan">cgan: conditional on the digit</option>
    </select>
    <label for="seed">Seed <code>--seed</code></label>
    <input id="seed" type="number" min="0" max="4294967295" step="1" required>
    <label for="engine">Engine</label>
    <select id="engine">
      <option value="auto">Auto: WebGPU if available</option>
      <option value="webgpu">WebGPU</option>
      <option value="wasm">WebAssembly</option>
    </select>
    <label for="threads">WebAssembly threads</label>
    <select id="threads">
      <option value="0">One per core</option>
      <option value="1">1</option><option value="2">2</option><option value="4">4</option>
      <option value="8">8</option>
    </select>
  </fieldset>
  <fieldset>
    <legend>Balance knobs</legend>
    <p class="hint">Applied at the next step and logged; try them when a warning appears.</p>
    ${knob('lrD', 'D learning rate', '--lr-d', 'min="0.000001" max="0.1" step="any"')}
    ${knob('lrG', 'G learning rate', '--lr-g', 'min="0.000001" max="0.1" step="any"')}
    ${knob('dSteps', 'D updates per G update', '--d-steps', 'min="1" max="10" step="1"')}
    ${knob('labelSmoothing', 'Label smoothing', '--label-smoothing', 'min="0" max="0.5" step="0.05"')}
    ${knob('batch', 'Batch size', '--batch', 'min="1" max="512" step="1"')}
    ${knob('stopAt', 'Pause at step (0: never)', '', 'min="0" step="1" value="0"')}
  </fieldset>
  <div>
    <button type="button" id="start">Start</button>
    <button type="button" id="pause" disabled>Pause</button>
    <button type="button" id="resume" disabled>Resume</button>
    <button type="button" id="reset" disabled>Reset</button>
  </div>
  </form>
  <fieldset>
    <legend>Take it away</legend>
    <label for="dtype">Storage of the kernels <code>--dtype</code></label>
    <select id="dtype">
      <option value="f32">f32</option><option value="f16">f16</option>
      <option value="q15">q15</option><option value="q14">q14</option>
      <option value="q12">q12</option><option value="q8">q8</option>
    </select>
    ${knob('bnBatches', 'BatchNorm batches', '--bn-batches', 'min="1" max="500" step="1" value="50"')}
    <button type="button" id="export" disabled>Download model</button>
    <p id="export-status" role="status" aria-live="polite"></p>
    <p hidden id="export-done">sha256 <code class="sha" id="sha256"></code><br>
      <a id="download" href="#">Download again</a>. Serve it with
      <code>npm start -- --model <span id="file-name">FILE</span></code>.</p>
  </fieldset>
</div>
<div>
  <p id="engine-line">Engine: not started.</p>
  <label for="data-progress">MNIST training set</label>
  <progress id="data-progress" max="1" value="0"></progress>
  <div class="stats" role="status" aria-live="off">
    <span>Step <strong id="step">0</strong></span>
    <span><strong id="rate">0</strong> steps/s</span>
    <span id="status">Idle</span>
  </div>
  <p id="error" role="alert"></p>
  <figure>
    <img id="chart" alt="D and G loss and D accuracy by step" width="640" height="360">
  </figure>
  <div class="panels">
    <figure>
      <canvas id="grid" width="238" height="238" role="img"
        aria-label="Samples of the generator for 64 fixed latents"></canvas>
      <figcaption id="grid-caption">Samples appear once training starts.</figcaption>
    </figure>
    <section aria-labelledby="balance-title">
      <h2 id="balance-title">Balance monitor</h2>
      <ul id="warnings"></ul>
      <p id="balance-ok">No warnings.</p>
    </section>
  </div>
  <section id="try" hidden aria-labelledby="try-title">
    <h2 id="try-title">Try the downloaded model</h2>
    <p class="hint">Rendered here by the same engine as the demo page, from the file itself: nothing
      is uploaded.</p>
    <label for="try-seed">Seed</label>
    <input id="try-seed" type="number" min="0" max="4294967295" step="1" value="0">
    <label class="inline"><input type="checkbox" id="try-grid" checked> 8 × 8 grid</label>
    <canvas id="try-view" width="28" height="28" role="img" aria-label="Digits of the model"></canvas>
  </section>
  <h2>Log</h2>
  <ol id="log"></ol>
</div>
</main>
<footer><p><a href="/">The demo page</a> explores the model this worker serves.</p></footer>
<script type="application/json" id="train-config">${jsonForHtml(config)}</script>
</body>
</html>
`
}
