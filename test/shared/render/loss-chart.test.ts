/**
 * @module test/shared/render/loss-chart
 * Tests shared/render/loss-chart: the SVG is well-formed XML (checked by the small strict parser
 * below: no XML library is among the dependencies), one path per series with a gap per run of
 * non-finite values, nice tick labels, the 0.5 reference, escaped text, empty and one-point input,
 * and the same bytes for the same points.
 */
import { describe, expect, it } from 'vitest'
import { renderLossChart, LOSS_SERIES, type LossPoint } from '../../../shared/render/loss-chart'

interface El {
  name: string
  attrs: Record<string, string>
  children: (El | string)[]
}

const NAME = '[A-Za-z_][\\w.:-]*'
const ENTITY = /&(?:amp|lt|gt|quot|apos|#\d+|#x[\da-fA-F]+);/g
const ATTR = new RegExp(`\\s+(${NAME})="([^"<]*)"`, 'y')
const TAG = new RegExp(`<(/?)(${NAME})`, 'y')

function decode(s: string): string {
  if (s.replace(ENTITY, '').includes('&')) throw new Error(`Bare & in ${JSON.stringify(s)}`)
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }
  return s.replace(ENTITY, (e) => {
    const body = e.slice(1, -1)
    if (body[0] !== '#') return named[body]
    return String.fromCodePoint(body[1] === 'x' ? parseInt(body.slice(2), 16) : +body.slice(1))
  })
}

/** Parses a document of elements, attributes, text and entities; throws where XML would. */
function parseXml(xml: string): El {
  const stack: El[] = [{ name: '#document', attrs: {}, children: [] }]
  let i = xml.startsWith('<?xml') ? xml.indexOf('?>') + 2 : 0
  while (i < xml.length) {
    const lt = xml.indexOf('<', i)
    const textEnd = lt === -1 ? xml.length : lt
    const text = decode(xml.slice(i, textEnd))
    const top = stack[stack.length - 1]
    if (text.trim() !== '') {
      if (stack.length === 1) throw new Error(`Text outside the root: ${text}`)
      top.children.push(text)
    }
    if (lt === -1) break
    TAG.lastIndex = lt
    const tag = TAG.exec(xml)
    if (!tag) throw new Error(`Bad markup at ${lt}: ${xml.slice(lt, lt + 20)}`)
    i = TAG.lastIndex
    if (tag[1] === '/') {
      if (top.name !== tag[2]) throw new Error(`</${tag[2]}> closes <${top.name}>`)
      if (xml[i] !== '>') throw new Error(`Bad closing tag at ${lt}`)
      stack.pop()
      i++
      continue
    }
    const el: El = { name: tag[2], attrs: {}, children: [] }
    for (let m; (ATTR.lastIndex = i), (m = ATTR.exec(xml)); i = ATTR.lastIndex) {
      if (m[1] in el.attrs) throw new Error(`Duplicate attribute ${m[1]} on <${el.name}>`)
      el.attrs[m[1]] = decode(m[2])
    }
    if (stack.length === 1 && top.children.length > 0) throw new Error('Second root element')
    top.children.push(el)
    if (xml.startsWith('/>', i)) i += 2
    else if (xml[i] === '>') (i += 1), stack.push(el)
    else throw new Error(`Bad tag <${el.name}> at ${lt}: ${xml.slice(i, i + 20)}`)
  }
  if (stack.length !== 1) throw new Error(`<${stack[stack.length - 1].name}> is never closed`)
  return stack[0].children[0] as El
}

function all(el: El, name: string): El[] {
  const kids = el.children.filter((c): c is El => typeof c !== 'string')
  return [...kids.filter((c) => c.name === name), ...kids.flatMap((c) => all(c, name))]
}

const textOf = (el: El): string =>
  el.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('')
const texts = (svg: El): string[] => all(svg, 'text').map(textOf)

function series(svg: El): Record<string, string> {
  const paths = all(svg, 'path').filter((p) => p.attrs.class === 'series')
  return Object.fromEntries(paths.map((p) => [p.attrs['data-series'], p.attrs.d]))
}

/** Number of subpaths (runs between gaps) in path data. */
const runs = (d: string): number => d.split('M').length - 1

function curve(n: number, every = 100): LossPoint[] {
  return Array.from({ length: n }, (_, i) => ({
    step: (i + 1) * every,
    dLoss: 0.7 - 0.2 * Math.sin(i / 7),
    gLoss: 0.8 + 0.5 * (i / n),
    dAcc: 0.5 + 0.3 * Math.cos(i / 5),
  }))
}

describe('parseXml', () => {
  it('should reject malformed documents', () => {
    expect(parseXml('<a x="1"><b/>t &amp; u</a>').children).toHaveLength(2)
    const bad = ['<a><b></a>', '<a>', '<a x="1" x="2"/>', '<a>&</a>', '<a/><b/>', '<a x=1/>']
    for (const doc of bad) expect(() => parseXml(doc), doc).toThrow()
  })
})

describe('renderLossChart', () => {
  it('should be a well-formed SVG document with one path per series and a legend', () => {
    const svg = parseXml(renderLossChart(curve(300)))
    expect(svg.name).toBe('svg')
    expect(svg.attrs).toMatchObject({ xmlns: 'http://www.w3.org/2000/svg', viewBox: '0 0 640 360' })
    const d = series(svg)
    expect(Object.keys(d)).toEqual(['dLoss', 'gLoss', 'dAcc'])
    for (const key of Object.keys(d)) expect(runs(d[key])).toBe(1)
    expect(d.dLoss.split('L')).toHaveLength(300)
    expect(texts(svg)).toEqual(expect.arrayContaining(LOSS_SERIES.map((s) => s.label)))
  })

  it('should label the axes with nice ticks', () => {
    const labels = texts(parseXml(renderLossChart(curve(300))))
    // Losses span 0.5..1.3 (step 0.2), steps 100..30,000 (step 5k); accuracy is fixed.
    expect(labels).toEqual(expect.arrayContaining(['0.4', '0.6', '0.8', '1.0', '1.2', '1.4']))
    expect(labels).toEqual(expect.arrayContaining(['0', '0.5', '1']))
    expect(labels).toEqual(expect.arrayContaining(['5k', '10k', '15k', '20k', '25k', '30k']))
    expect(labels).toContain('step')
    expect(labels).not.toContain('no data')
  })

  it('should draw a dashed 0.5 reference halfway up the accuracy panel', () => {
    const svg = parseXml(renderLossChart(curve(10)))
    const [ref] = all(svg, 'line').filter((l) => l.attrs.class === 'reference')
    expect(ref.attrs['stroke-dasharray']).toBeTruthy()
    expect(ref.attrs.y1).toBe(ref.attrs.y2)
    // The accuracy labels '0' and '1' sit (4 px below) the panel's bottom and top.
    const at = (label: string) =>
      Number(all(svg, 'text').filter((t) => textOf(t) === label).at(-1)?.attrs.y) - 4
    expect(Number(ref.attrs.y1)).toBeCloseTo((at('0') + at('1')) / 2, 1)
    expect(at('0.5')).toBeCloseTo(Number(ref.attrs.y1), 1)
  })

  it('should leave a gap for every run of non-finite values', () => {
    const points = curve(100).map((p, i) => ({
      ...p,
      dLoss: i === 30 || i === 31 || i === 60 ? NaN : p.dLoss,
      gLoss: i === 50 ? Infinity : i === 99 ? -Infinity : p.gLoss,
      dAcc: NaN,
    }))
    const d = series(parseXml(renderLossChart(points)))
    expect(runs(d.dLoss)).toBe(3)
    expect(d.dLoss.split(/[ML]/).length - 1).toBe(97)
    expect(runs(d.gLoss)).toBe(2)
    expect(d.dAcc).toBe('')
    // A non-finite step breaks every line.
    const badStep = curve(20).map((p, i) => (i === 10 ? { ...p, step: NaN } : p))
    for (const path of Object.values(series(parseXml(renderLossChart(badStep))))) {
      expect(runs(path)).toBe(2)
    }
  })

  it('should keep every point inside the plot for negative, constant and long series', () => {
    const wgan = curve(20_000, 1).map((p) => ({ ...p, dLoss: -40 * p.dLoss, gLoss: 3, dAcc: 1.5 }))
    const svg = parseXml(renderLossChart(wgan))
    for (const d of Object.values(series(svg))) {
      const xy = d.split(/[ML]/).slice(1).map((pair) => pair.split(' ').map(Number))
      expect(xy).toHaveLength(20_000)
      expect(xy.every(([x, y]) => x >= 48 && x <= 624 && y >= 28 && y <= 316)).toBe(true)
    }
    expect(texts(svg)).toEqual(expect.arrayContaining(['-30', '0', '10k', '20k']))
  })

  it('should draw a single point as a dot', () => {
    const d = series(parseXml(renderLossChart([{ step: 5, dLoss: 0.7, gLoss: NaN, dAcc: 0.5 }])))
    expect(runs(d.dLoss)).toBe(1)
    expect(d.dLoss).toMatch(/^M[\d.]+ [\d.]+m-2 0a/)
    expect(d.gLoss).toBe('')
  })

  it('should render axes, legend and a note for no points', () => {
    const svg = parseXml(renderLossChart([]))
    expect(Object.values(series(svg))).toEqual(['', '', ''])
    expect(texts(svg)).toEqual(expect.arrayContaining(['no data', 'D loss', '0.5', 'step']))
    expect(all(svg, 'line').some((l) => l.attrs.class === 'reference')).toBe(true)
  })

  it('should escape the title', () => {
    const title = `run <a> & "b" 'c'`
    const xml = renderLossChart(curve(5), { title })
    expect(xml).not.toContain('<a>')
    expect(textOf(all(parseXml(xml), 'title')[0])).toBe(title)
  })

  it('should give the same bytes for the same points', () => {
    const a = renderLossChart(curve(500))
    expect(renderLossChart(curve(500))).toBe(a)
    expect(a).toMatch(/^<svg [^]*<\/svg>\n$/)
    expect(a).not.toMatch(/\d\.\d{2,}|e[+-]\d|-0\.0\b/) // one fixed decimal, no exponents
  })
})
