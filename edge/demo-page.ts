/**
 * @module edge/demo-page
 * The HTML of the demo page at `/`. The page works in two tiers:
 * - without JavaScript, the seed form submits to `/?seed=…` and `<noscript>` images come from
 *   `/generate` and `/interpolate` (an animated PNG of the walk);
 * - with JavaScript (web/demo.ts), the hidden controls appear and every digit is rendered in the
 *   browser by the shared engine, on the model payload fetched once from a content-hashed URL.
 * The page's state arrives in a JSON block with the model manifest, so the script needs no other
 * request than the payload. Only integers and server-made URLs are interpolated into the markup.
 * A conditional model adds a digit selector (any, or one class), a script-only control like the
 * walk and the directions.
 */
import type { Manifest } from '../shared/model/weights'
import {
  DIRECTION_COUNT,
  DIRECTION_MAX,
  directionParam,
  formatDirection,
  GRID_SIZE,
  T_MAX,
} from '../shared/render/demo-state'
import type { DemoConfig, DemoState } from '../shared/render/demo-state'

/** Inputs of {@link renderDemoPage}. */
export interface DemoPageOptions {
  config: DemoConfig
  /** `/demo.<hash>.js`. */
  scriptUrl: string
  parameterCount: number
  /** Classes of a conditional model (the digit selector shows them); 0: no selector. */
  classes: number
}

const SEED_MAX = 4294967295

/** The demo pages' shared look (the training page, edge/train-page.ts, adds to it). */
export const STYLE = `
:root { color-scheme: light dark; --accent: #2457d6; font: 16px/1.45 system-ui, sans-serif; }
body { margin: 0 auto; max-width: 62rem; padding: 1rem 1.25rem 3rem; }
h1 { margin: 0.5rem 0 0; font-size: 1.6rem; }
main { display: grid; gap: 1.5rem; grid-template-columns: minmax(16rem, 1fr) auto;
  align-items: start; }
@media (max-width: 48rem) { main { grid-template-columns: 1fr; } }
fieldset { border: 1px solid #8884; border-radius: 0.5rem; margin: 0 0 1rem;
  padding: 0.5rem 1rem 0.75rem; }
legend { font-weight: 600; padding: 0 0.25rem; }
label { display: block; margin: 0.4rem 0 0.15rem; }
label.inline { display: inline-flex; gap: 0.35rem; align-items: center; margin-right: 1rem; }
input[type=number] { width: 11ch; font: inherit; padding: 0.2rem 0.3rem; }
select { font: inherit; padding: 0.2rem 0.3rem; max-width: 100%; }
input[type=range] { width: min(18rem, 70%); vertical-align: middle; }
output { display: inline-block; min-width: 4.5ch; text-align: right;
  font-variant-numeric: tabular-nums; }
button { font: inherit; padding: 0.25rem 0.7rem; margin: 0.3rem 0.3rem 0 0; cursor: pointer; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
figure { margin: 0; }
canvas, figure img { display: block; width: min(448px, 88vw); height: auto; aspect-ratio: 1;
  image-rendering: pixelated; background: #000; border-radius: 0.25rem; }
figcaption, #timing { font-variant-numeric: tabular-nums; margin-top: 0.5rem; }
.hint { margin: 0.2rem 0; font-size: 0.9rem; opacity: 0.8; }
footer { margin-top: 2rem; font-size: 0.9rem; }
`

/**
 * The page for a validated state: the controls (a form that works without JavaScript), the
 * digit with its `<noscript>` images, and the same views as API links.
 * @example
 * c.html(renderDemoPage({ config, scriptUrl: SCRIPT_PATH, parameterCount, classes: 0 }))
 */
export function renderDemoPage(options: DemoPageOptions): string {
  const { config, scriptUrl, parameterCount } = options
  const params = parameterCount.toLocaleString('en-US')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>digit-gan: handwritten digits from a GAN, live</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
<script type="module" src="${scriptUrl}"></script>
</head>
<body>
<header>
  <h1>digit-gan</h1>
  <p>Handwritten digits from the generator of a GAN for MNIST (${params} parameters). Each seed
  picks a point of its latent space; the generator turns it into a digit, here in your browser with
  the same TypeScript the worker runs for <code>/generate</code>.</p>
</header>
<main>
<div>
  <form id="controls" action="/" method="get">${controlFieldsets(config.state, options.classes)}
  </form>
  <form id="random-form" action="/" method="get">
    <button type="submit" id="random">Random seed</button>
  </form>
</div>
${digitFigure(config.state)}
</main>
${apiFooter(config)}
<script type="application/json" id="demo-config">${jsonForHtml(config)}</script>
</body>
</html>
`
}

/** `&digit=…` on every API URL when a digit is chosen (only integers go into the markup). */
function digitParam(digit: number | undefined): string {
  return digit === undefined ? '' : `&amp;digit=${digit}`
}

/** The walk from the seed to the target as `/interpolate` serves it. */
function walkUrl({ seed, to, digit }: DemoState): string {
  return `/interpolate?from=${seed}&amp;to=${to}${digitParam(digit)}`
}

/**
 * The form's fieldsets: the seed (all a page without JavaScript can change), then the
 * script-only ones, hidden and disabled until web/demo.ts shows them: digit (conditional models
 * only), view, walk and latent directions.
 */
function controlFieldsets(state: DemoState, classes: number): string {
  const { seed, to, t, view } = state
  const checked = (v: string) => (view === v ? ' checked' : '')
  const side = Math.sqrt(GRID_SIZE)
  return `
  <fieldset>
    <legend>Seed</legend>
    <label for="seed">Seed (0 to ${SEED_MAX})</label>
    <input id="seed" name="seed" type="number" inputmode="numeric" min="0" max="${SEED_MAX}"
      step="1" required value="${seed}">
    <button type="submit">Show</button>
  </fieldset>${digitFieldset(state.digit, classes)}
  <fieldset class="js" hidden disabled>
    <legend>View</legend>
    <label class="inline">
      <input type="radio" name="view" value="digit"${checked('digit')}> One digit</label>
    <label class="inline">
      <input type="radio" name="view" value="grid"${checked('grid')}> ${side} × ${side} grid</label>
  </fieldset>
  <fieldset class="js" hidden disabled>
    <legend>Walk to another seed</legend>
    <label for="to">Target seed</label>
    <input id="to" name="to" type="number" inputmode="numeric" min="0" max="${SEED_MAX}" step="1"
      required value="${to}">
    <label for="t">Position along the walk (spherical interpolation)</label>
    <input id="t" name="t" type="range" min="0" max="${T_MAX}" step="1" value="${t}"
      aria-valuetext="${t} %">
    <output id="t-value" for="t">${t} %</output>
  </fieldset>
  <fieldset class="js" hidden disabled>
    <legend>Latent directions</legend>
    <p class="hint">Each slider moves the latent up to ${DIRECTION_MAX / 10} unit steps along a fixed
      random direction.</p>
    ${directionRows(state.directions)}
    <button type="button" id="reset">Reset directions</button>
  </fieldset>`
}

/**
 * The digit selector: any (each seed's own class) or one class. Only for a conditional model:
 * an unconditional one draws whatever digit the seed gives.
 */
function digitFieldset(digit: number | undefined, classes: number): string {
  if (classes === 0) return ''
  const option = (value: string, text: string, selected: boolean) =>
    `<option value="${value}"${selected ? ' selected' : ''}>${text}</option>`
  const digitOptions = [
    option('', `Any (seed mod ${classes})`, digit === undefined),
    ...Array.from({ length: Math.min(classes, 10) }, (_, d) => option(`${d}`, `${d}`, digit === d)),
  ].join('\n      ')
  return `
  <fieldset class="js" hidden disabled>
    <legend>Digit</legend>
    <label for="digit">Digit to draw</label>
    <select id="digit" name="digit">
      ${digitOptions}
    </select>
  </fieldset>`
}

/** One slider per latent direction, with its value as text. */
function directionRows(directions: number[]): string {
  return Array.from({ length: DIRECTION_COUNT }, (_, k) => {
    const id = directionParam(k)
    const value = directions[k]
    return `<div><label for="${id}">Direction ${k + 1}</label>
    <input id="${id}" name="${id}" type="range" min="${-DIRECTION_MAX}" max="${DIRECTION_MAX}"
      step="1" value="${value}" aria-valuetext="${formatDirection(value)}">
    <output id="${id}-value" for="${id}">${formatDirection(value)}</output></div>`
  }).join('\n    ')
}

/** The canvas the script draws on; without JavaScript, the digit and the walk as images. */
function digitFigure(state: DemoState): string {
  const { seed, digit, to } = state
  const apng = `${walkUrl(state)}&amp;steps=16&amp;scale=4&amp;format=apng`
  return `<figure>
  <canvas id="view" width="28" height="28" role="img" aria-label="Digit, loading" hidden></canvas>
  <noscript>
    <img src="/generate?seed=${seed}${digitParam(digit)}&amp;scale=16" width="448" height="448"
      alt="Digit generated from seed ${seed}">
    <p>The walk to seed ${to}:</p>
    <img src="${apng}" width="112" height="112"
      alt="Animation of the walk from seed ${seed} to seed ${to}">
  </noscript>
  <figcaption id="caption">Seed ${seed}${digit === undefined ? '' : `, digit ${digit}`}</figcaption>
  <p id="timing" role="status" aria-live="polite"></p>
</figure>`
}

/** The current view as API links, and the payload size. */
function apiFooter(config: DemoConfig): string {
  const { seed, digit } = config.state
  const withDigit = digitParam(digit)
  const kib = Math.round(config.manifest.payload.byteLength / 1024)
  return `<footer>
  <p>The same digits over HTTP:
  <a id="api-generate" href="/generate?seed=${seed}${withDigit}&amp;scale=8">/generate</a>,
  <a id="api-grid" href="/grid?seed=${seed}&amp;n=${GRID_SIZE}${withDigit}&amp;scale=2">/grid</a>,
  <a id="api-interpolate" href="${walkUrl(config.state)}&amp;steps=8&amp;scale=4">/interpolate</a>,
  <a href="/model">/model</a>. The model payload (${kib} KiB) is fetched once and cached.</p>
</footer>`
}

/** JSON that cannot end the `<script>` element it sits in. */
export function jsonForHtml(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (ch) => {
    return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`
  })
}
