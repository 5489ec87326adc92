// The status page's charts: SVG time series with a time axis, y ticks, an optional log scale and
// the MQTT outages shaded. No library: the page must work on a gateway with no internet.
/* global window */
'use strict'
;(() => {
  const SVG = 'http://www.w3.org/2000/svg'
  /** Room for the tick labels: the y labels on the left, the time labels below (and half of one on the right). */
  const MARGIN = { left: 46, right: 26, top: 6, bottom: 18 }
  /** Closer y labels than this overlap: the later one is left out (its grid line stays). */
  const MIN_LABEL_GAP_PX = 11
  /** Steps of the time axis, in seconds: the smallest that leaves 90 px between two labels. */
  const TIME_STEPS = [5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600]

  function el(name, attrs, text) {
    const node = window.document.createElementNS(SVG, name)
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v))
    if (text !== undefined) node.textContent = text
    return node
  }

  function tickLabel(v) {
    if (v >= 1e6) return v / 1e6 + 'M'
    if (v >= 1e3) return v / 1e3 + 'k'
    return String(v)
  }

  /** Ticks of a linear axis from 0: 1, 2 or 5 times a power of ten, about `count` steps. */
  function linearTicks(max, count = 4) {
    const raw = Math.max(max, 1) / count
    const power = 10 ** Math.floor(Math.log10(raw))
    const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)
    const top = Math.ceil(Math.max(max, 1) / step) * step
    const ticks = []
    for (let v = 0; v <= top + step / 2; v += step) ticks.push(v)
    return { top, ticks, y: (v) => v / top }
  }

  /**
   * Ticks of a log axis: 0, 1, 10, 100… on log10(1 + v), so that 0 has a place and a drain at
   * 5,000 msg/s leaves the 200 msg/s of the steady state readable.
   */
  function logTicks(max) {
    const decades = Math.max(1, Math.ceil(Math.log10(Math.max(max, 1))))
    const top = 10 ** decades
    const ticks = [0]
    for (let d = 0; d <= decades; d++) ticks.push(10 ** d)
    return { top, ticks, y: (v) => Math.log10(1 + Math.max(0, v)) / Math.log10(1 + top) }
  }

  function timeTicks(t0, t1, width) {
    const span = Math.max(1, (t1 - t0) / 1000)
    const step = TIME_STEPS.find((s) => span / s <= width / 90) ?? TIME_STEPS[TIME_STEPS.length - 1]
    const ticks = []
    for (let t = Math.ceil(t0 / 1000 / step) * step * 1000; t <= t1; t += step * 1000) {
      const d = new Date(t)
      const hm = String(d.getHours()).padStart(2, '0') + ':' + String(d.getMinutes()).padStart(2, '0')
      ticks.push({ t, label: step < 60 ? hm + ':' + String(d.getSeconds()).padStart(2, '0') : hm })
    }
    return ticks
  }

  /**
   * Draws into `svg` (its size as laid out): `series` of `{ color, points: [{ t, v }] }` between
   * `t0` and `t1` (Unix ms), linear or log (`log`), with `shade` spans `[from, to]` behind them.
   * A gap longer than `gapMs` in a series breaks its line (the route was absent, the page asleep).
   */
  function draw(svg, opts) {
    const width = svg.clientWidth || 600
    const height = svg.clientHeight || 150
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`)
    svg.replaceChildren()
    const plotW = width - MARGIN.left - MARGIN.right
    const plotH = height - MARGIN.top - MARGIN.bottom
    const t0 = opts.t0
    const t1 = Math.max(opts.t1, t0 + 1000)
    const x = (t) => MARGIN.left + ((t - t0) / (t1 - t0)) * plotW
    let max = 0
    for (const s of opts.series) for (const p of s.points) if (p.t >= t0) max = Math.max(max, p.v)
    const scale = opts.log ? logTicks(max) : linearTicks(max, Math.max(1, Math.min(4, Math.floor(plotH / 22))))
    const y = (v) => MARGIN.top + plotH - scale.y(v) * plotH
    svg.dataset.scale = opts.log ? 'log' : 'linear'

    for (const [from, to] of opts.shade ?? []) {
      const a = Math.max(from, t0)
      const b = Math.min(to ?? t1, t1)
      if (b > a) svg.append(el('rect', { class: 'outage', x: x(a), y: MARGIN.top, width: Math.max(1, x(b) - x(a)), height: plotH }))
    }
    let lastLabelY = Infinity
    for (const v of scale.ticks) {
      svg.append(el('line', { class: 'grid', x1: MARGIN.left, x2: width - MARGIN.right, y1: y(v), y2: y(v) }))
      if (lastLabelY - y(v) < MIN_LABEL_GAP_PX) continue
      svg.append(el('text', { class: 'tick-y', x: MARGIN.left - 4, y: y(v) + 4, 'text-anchor': 'end' }, tickLabel(v)))
      lastLabelY = y(v)
    }
    for (const tick of timeTicks(t0, t1, plotW)) {
      svg.append(el('line', { class: 'grid', x1: x(tick.t), x2: x(tick.t), y1: MARGIN.top, y2: MARGIN.top + plotH }))
      svg.append(el('text', { class: 'tick-x', x: x(tick.t), y: height - 4, 'text-anchor': 'middle' }, tick.label))
    }
    svg.append(el('line', { class: 'axis', x1: MARGIN.left, x2: MARGIN.left, y1: MARGIN.top, y2: MARGIN.top + plotH }))
    svg.append(el('line', { class: 'axis', x1: MARGIN.left, x2: width - MARGIN.right, y1: MARGIN.top + plotH, y2: MARGIN.top + plotH }))
    if (opts.label) svg.append(el('text', { class: 'label', x: MARGIN.left + 4, y: MARGIN.top + 10 }, opts.label))

    for (const s of opts.series) {
      let line = []
      let last
      const flush = () => {
        if (line.length > 1) svg.append(el('polyline', { class: 'series', points: line.join(' '), style: `stroke: ${s.color}` }))
        line = []
      }
      for (const p of s.points) {
        if (p.t < t0) continue
        if (last !== undefined && p.t - last > opts.gapMs) flush()
        line.push(x(p.t).toFixed(1) + ',' + y(p.v).toFixed(1))
        last = p.t
      }
      flush()
    }
  }

  window.statusChart = { draw, linearTicks, logTicks, timeTicks }
})()
