/**
 * @module web/demo
 * The demo page's script (bundled by tools/build-web.ts, served by edge/routes/demo.ts). It fetches the model
 * payload once, decodes and checks it with the shared engine, then renders every change of the
 * controls into a canvas within the same frame: the digit or the 8 × 8 grid, moved along the walk
 * to the target seed and along the latent directions. The state goes back into the URL after each
 * change, so the address bar can be shared. For a conditional model the page also has a digit
 * selector (present only then): one digit everywhere, or each seed's own.
 *
 * Accessibility: every control is a native, labelled form element (so keyboard use is built in);
 * the canvas is an image whose label says what it shows; the timing line is a polite live region,
 * updated once the controls rest, so a screen reader is not flooded while a slider moves.
 */
import { seedLabel } from '../shared/latent/condition'
import { createGenerator } from '../shared/inference/forward'
import { classCount } from '../shared/model/spec'
import { decodeWeights } from '../shared/model/weights'
import { createEngine, type Engine, type Frame } from './engine'
import {
  defaultTarget,
  DIRECTION_COUNT,
  directionParam,
  formatDirection,
  GRID_SIZE,
  stateQuery,
  T_MAX,
} from '../shared/render/demo-state'
import type { DemoConfig, DemoState, View } from '../shared/render/demo-state'
import KERNEL_BYTES from '../shared/inference/kernel.wasm'

/** How long the controls must rest before the live region speaks. */
const ANNOUNCE_DELAY_MS = 400
const SEED_MAX = 4294967295

function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id)
  if (!(found instanceof type)) throw new Error(`Expected #${id} to be a ${type.name}.`)
  return found
}

const config = JSON.parse(element('demo-config', HTMLScriptElement).text) as DemoConfig
const state: DemoState = { ...config.state, directions: [...config.state.directions] }

const form = element('controls', HTMLFormElement)
const randomForm = element('random-form', HTMLFormElement)
const seedInput = element('seed', HTMLInputElement)
const toInput = element('to', HTMLInputElement)
const tInput = element('t', HTMLInputElement)
const tOutput = element('t-value', HTMLOutputElement)
const directionInputs = Array.from({ length: DIRECTION_COUNT }, (_, k) =>
  element(directionParam(k), HTMLInputElement),
)
// Rendered by the worker only for a conditional model.
const digitSelect = document.getElementById('digit') as HTMLSelectElement | null
const classes = classCount(config.manifest.model.generator)
const canvas = element('view', HTMLCanvasElement)
const caption = element('caption', HTMLElement)
const timing = element('timing', HTMLElement)

let engine: Engine | undefined
let pending = false
let announceTimer: ReturnType<typeof setTimeout> | undefined

/** A seed typed into a number field, or undefined while it is not a valid uint32. */
function readSeed(input: HTMLInputElement): number | undefined {
  const ok = /^[0-9]{1,10}$/.test(input.value) && Number(input.value) <= SEED_MAX
  input.setAttribute('aria-invalid', String(!ok))
  return ok ? Number(input.value) : undefined
}

/** Copies the state into the controls' values and labels (after a random seed or a reset). */
function showState(): void {
  seedInput.value = String(state.seed)
  if (digitSelect) digitSelect.value = state.digit === undefined ? '' : String(state.digit)
  toInput.value = String(state.to)
  tInput.value = String(state.t)
  tOutput.value = `${state.t} %`
  tInput.setAttribute('aria-valuetext', `${state.t} % of the way to seed ${state.to}`)
  directionInputs.forEach((input, k) => {
    input.value = String(state.directions[k])
    showDirection(k)
  })
}

/** The value label and the spoken value of direction slider `k`. */
function showDirection(k: number): void {
  const text = formatDirection(state.directions[k])
  directionInputs[k].setAttribute('aria-valuetext', text)
  element(`${directionParam(k)}-value`, HTMLOutputElement).value = text
}

/** Renders on the next animation frame; many input events in one frame cost one render. */
function schedule(): void {
  if (pending || engine === undefined) return
  pending = true
  requestAnimationFrame(() => {
    pending = false
    if (engine !== undefined) draw(engine.render(state))
  })
}

function draw(frame: Frame): void {
  if (canvas.width !== frame.width || canvas.height !== frame.height) {
    canvas.width = frame.width
    canvas.height = frame.height
  }
  const image = new ImageData(frame.width, frame.height)
  for (let i = 0; i < frame.gray.length; i++) {
    const v = frame.gray[i]
    image.data[4 * i] = v
    image.data[4 * i + 1] = v
    image.data[4 * i + 2] = v
    image.data[4 * i + 3] = 255
  }
  canvas.getContext('2d')!.putImageData(image, 0, 0)
  const what = describe()
  canvas.setAttribute('aria-label', what)
  caption.textContent = what
  const query = stateQuery(state)
  // What the end-to-end test waits for: the canvas now shows exactly this state.
  canvas.dataset.rendered = query
  history.replaceState(null, '', `/?${query}`)
  updateApiLinks()
  const perImage = frame.ms / frame.images
  const text =
    frame.images === 1
      ? `${frame.ms.toFixed(2)} ms per image.`
      : `${frame.images} images in ${frame.ms.toFixed(1)} ms: ${perImage.toFixed(2)} ms per image.`
  clearTimeout(announceTimer)
  announceTimer = setTimeout(() => (timing.textContent = text), ANNOUNCE_DELAY_MS)
}

/** What the canvas shows, in words: its accessible name and the caption. */
function describe(): string {
  const last = (state.seed + GRID_SIZE - 1) % (SEED_MAX + 1)
  // A conditional model: the chosen digit, or (digit view) the one the seed picks.
  const label = state.digit ?? seedLabel(state.seed, classes)
  const subject =
    state.view === 'grid'
      ? `Grid of ${state.digit === undefined ? 'digits' : `${state.digit}s`} for seeds ` +
        `${state.seed} to ${last}`
      : `Seed ${state.seed}${label === undefined ? '' : `, digit ${label}`}`
  const walk = state.t === 0 ? '' : `, ${state.t} % of the way to seed ${state.to}`
  const moved = state.directions.some((d) => d !== 0)
  const directions = moved ? `, directions ${state.directions.map(formatDirection).join(' ')}` : ''
  return `${subject}${walk}${directions}`
}

function updateApiLinks(): void {
  const set = (id: string, href: string) => {
    element(id, HTMLAnchorElement).setAttribute('href', href)
  }
  const digit = state.digit === undefined ? '' : `&digit=${state.digit}`
  set('api-generate', `/generate?seed=${state.seed}${digit}&scale=8`)
  set('api-grid', `/grid?seed=${state.seed}&n=${GRID_SIZE}${digit}&scale=2`)
  set('api-interpolate', `/interpolate?from=${state.seed}&to=${state.to}${digit}&steps=8&scale=4`)
}

function bindControls(): void {
  form.addEventListener('submit', (event) => event.preventDefault())
  randomForm.addEventListener('submit', (event) => {
    event.preventDefault()
    const [seed, to] = crypto.getRandomValues(new Uint32Array(2))
    Object.assign(state, { seed, to })
    showState()
    readSeed(seedInput)
    schedule()
  })
  seedInput.addEventListener('input', () => {
    const seed = readSeed(seedInput)
    if (seed === undefined) return
    // An untouched target keeps following the seed, so the URL stays `?seed=…` alone.
    if (state.to === defaultTarget(state.seed)) {
      state.to = defaultTarget(seed)
      toInput.value = String(state.to)
    }
    state.seed = seed
    tInput.setAttribute('aria-valuetext', `${state.t} % of the way to seed ${state.to}`)
    schedule()
  })
  digitSelect?.addEventListener('change', () => {
    if (digitSelect.value === '') delete state.digit
    else state.digit = Number(digitSelect.value)
    schedule()
  })
  toInput.addEventListener('input', () => {
    const to = readSeed(toInput)
    if (to === undefined) return
    state.to = to
    tInput.setAttribute('aria-valuetext', `${state.t} % of the way to seed ${state.to}`)
    schedule()
  })
  tInput.addEventListener('input', () => {
    state.t = Math.min(T_MAX, Math.max(0, Math.round(tInput.valueAsNumber)))
    tOutput.value = `${state.t} %`
    tInput.setAttribute('aria-valuetext', `${state.t} % of the way to seed ${state.to}`)
    schedule()
  })
  directionInputs.forEach((input, k) => {
    input.addEventListener('input', () => {
      state.directions[k] = Math.round(input.valueAsNumber)
      showDirection(k)
      schedule()
    })
  })
  element('reset', HTMLButtonElement).addEventListener('click', () => {
    state.directions.fill(0)
    showState()
    schedule()
  })
  for (const radio of form.querySelectorAll<HTMLInputElement>('input[name="view"]')) {
    radio.addEventListener('change', () => {
      if (radio.checked) state.view = radio.value as View
      schedule()
    })
  }
}

async function loadEngine(): Promise<Engine> {
  const res = await fetch(config.modelUrl)
  if (!res.ok) throw new Error(`Expected the model payload, but got HTTP ${res.status}.`)
  const payload = new Uint8Array(await res.arrayBuffer())
  // Checks shape, layout and the sha256 against the manifest, as the worker does.
  // The WebAssembly kernel gives the same bits as the JS path, only faster; a browser without
  // wasm SIMD falls back to JS.
  const kernel = await WebAssembly.compile(KERNEL_BYTES).catch(() => undefined)
  // Which path draws the digits, for the end-to-end test to check.
  canvas.dataset.kernel = kernel === undefined ? 'js' : 'wasm'
  const generator = createGenerator(decodeWeights(config.manifest, payload), { kernel })
  return createEngine(generator, () => performance.now())
}

function start(): void {
  for (const fieldset of document.querySelectorAll<HTMLFieldSetElement>('fieldset.js')) {
    fieldset.hidden = false
    fieldset.disabled = false
  }
  canvas.hidden = false
  timing.textContent = 'Loading the model…'
  showState()
  bindControls()
  loadEngine().then(
    (loaded) => {
      engine = loaded
      schedule()
    },
    (err: unknown) => {
      timing.textContent = `Could not load the model: ${err instanceof Error ? err.message : err}`
    },
  )
}

start()
