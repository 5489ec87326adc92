// The status page's logic: polls `status` every second and shows it. Rates, latency quantiles
// and the chart's points all come from the service (it samples every second), so the page is
// right from its first poll; it fetches the whole history once, then only what is new (?since=).
/* global window, document, fetch */
'use strict'
;(() => {
  /** The charts show the last 5 minutes, as much as the service keeps. */
  const WINDOW_MS = 5 * 60 * 1000
  /** The service samples every second: a longer gap in a series breaks its line. */
  const GAP_MS = 3500
  const $ = (id) => document.getElementById(id)
  const chart = window.statusChart
  let points = []
  let startedAt
  const routeCharts = new Map()

  const fmt = (n) => (n >= 1e6 ? (n / 1e6).toFixed(1) + 'M' : n >= 1e4 ? (n / 1e3).toFixed(1) + 'k' : String(Math.round(n)))
  const fmtRate = (n) => (n > 0 && n < 10 ? n.toFixed(1) : fmt(n))
  const fmtAge = (s) => (s <= 0 ? '–' : s < 120 ? s.toFixed(1) + ' s' : s < 7200 ? (s / 60).toFixed(1) + ' min' : (s / 3600).toFixed(1) + ' h')
  const fmtTime = (t) => new Date(t).toLocaleTimeString([], { hour12: false })
  const fmtBytes = (n) => {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
    let i = 0
    while (n >= 1024 && i < units.length - 1) {
      n /= 1024
      i++
    }
    return (i === 0 ? String(n) : n.toFixed(n < 10 ? 2 : 1)) + ' ' + units[i]
  }
  /** 850 ms, 12.4 s, 3 min 05 s, 2 h 04 min. */
  function fmtDuration(s) {
    if (s < 1) return Math.round(s * 1000) + ' ms'
    if (s < 60) return s.toFixed(1) + ' s'
    const whole = Math.round(s)
    if (whole < 3600) return Math.floor(whole / 60) + ' min ' + String(whole % 60).padStart(2, '0') + ' s'
    if (whole < 86400) return Math.floor(whole / 3600) + ' h ' + String(Math.floor((whole % 3600) / 60)).padStart(2, '0') + ' min'
    return Math.floor(whole / 86400) + ' d ' + Math.floor((whole % 86400) / 3600) + ' h'
  }
  const fmtLatency = (s) => (s === null ? '–' : s < 0.01 ? (s * 1000).toFixed(1) + ' ms' : s < 1 ? Math.round(s * 1000) + ' ms' : fmtDuration(s))
  const setText = (id, text) => {
    $(id).textContent = text
  }

  function pill(el, state) {
    el.textContent = state
    el.className = 'pill ' + (state === 'connected' ? 'up' : 'down')
  }

  function linkSince(link, now) {
    if (link.since === null) return 'never connected yet'
    return (link.state === 'connected' ? 'connected since ' : 'down since ') + fmtTime(link.since) + ' (' + fmtDuration((now - link.since) / 1000) + ')'
  }

  function renderHeader(s) {
    const badge = $('status')
    badge.textContent = s.status
    badge.className = 'badge ' + s.status
    pill($('nats'), s.nats)
    pill($('mqtt'), s.mqtt)
    setText('rate-in', fmtRate(s.rates.in))
    setText('rate-out', fmtRate(s.rates.out))
    setText('queued', fmt(s.queued))
    setText('uptime', fmtDuration(s.uptime_s))
    setText('version', s.version + ' (' + s.commit + ')')
    setText('updated', fmtTime(s.now))
    const error = $('error')
    error.hidden = !s.last_error
    setText('error-text', s.last_error)
    $('error-when').hidden = s.last_error_at === null
    if (s.last_error_at !== null) {
      setText('error-time', fmtTime(s.last_error_at))
      $('error-time').setAttribute('datetime', new Date(s.last_error_at).toISOString())
      setText('error-ago', fmtDuration(Math.max(0, s.now - s.last_error_at) / 1000))
    }
    const reasons = $('reasons')
    reasons.hidden = s.reasons.length === 0
    reasons.replaceChildren(...s.reasons.map((r) => Object.assign(document.createElement('li'), { textContent: s.status + ': ' + r })))
  }

  function renderLinks(s) {
    const m = s.links.mqtt
    setText('broker', m.broker)
    setText('client-id', m.client_id)
    setText('qos', String(m.qos))
    setText('protocol', m.protocol)
    setText('mqtt-since', linkSince(m, s.now))
    setText('mqtt-reconnects', String(m.reconnects))
    const w = s.window
    setText('window-limit', w ? fmt(w.limit) : '–')
    setText('window-cap', w ? fmt(w.cap) : '–')
    setText('window-phase', w ? w.phase : '–')
    setText('window-inflight', w ? fmt(w.in_flight) : '–')
    setText('window-rtt', w && w.rtt_ms !== null ? fmtLatency(w.rtt_ms / 1000) + (w.min_rtt_ms !== null ? ' (shortest ' + fmtLatency(w.min_rtt_ms / 1000) + ')' : '') : '–')
    setText('nats-servers', s.links.nats.servers.join(', '))
    setText('nats-since', linkSince(s.links.nats, s.now))
    setText('nats-reconnects', String(s.links.nats.reconnects))
  }

  function renderStore(st) {
    const share = st.max_bytes > 0 ? st.used_bytes / st.max_bytes : 0
    setText('store-used', fmtBytes(st.used_bytes))
    setText('store-max', fmtBytes(st.max_bytes))
    setText('store-percent', (share * 100).toFixed(share < 0.1 ? 1 : 0) + ' %')
    const bar = $('store-bar')
    bar.style.width = Math.min(100, share * 100).toFixed(1) + '%'
    bar.className = share > 0.8 ? 'high' : ''
    setText('store-queued', fmtBytes(st.queued_bytes))
    setText('store-free', st.disk_free_bytes === null ? (st.type === 'memory' ? '– (memory store)' : st.error || '–') : fmtBytes(st.disk_free_bytes) + ' of ' + fmtBytes(st.disk_total_bytes))
    setText('store-type', st.type + (st.state === 'disk_full' ? ' (DISK FULL)' : ''))
    setText('store-overflow', st.overflow + (st.max_age_s > 0 ? ', max_age ' + fmtDuration(st.max_age_s) : ''))
  }

  function cell(col, text) {
    const td = document.createElement('td')
    td.dataset.col = col
    td.textContent = text
    return td
  }

  function renderRoutes(s) {
    const body = $('routes')
    body.replaceChildren()
    for (const r of s.routes) {
      const tr = document.createElement('tr')
      tr.dataset.route = r.id
      const name = r.id + (r.priority ? ' (priority ' + r.priority + ')' : '') + (r.configured ? '' : ' (draining)')
      tr.append(
        cell('route', name), cell('in', fmtRate(r.in_rate)), cell('out', fmtRate(r.out_rate)), cell('queued', fmt(r.queued)), cell('oldest', fmtAge(r.oldest_age_s)),
        cell('in-flight', fmt(r.in_flight)), cell('p50', fmtLatency(r.latency.p50_s)), cell('p99', fmtLatency(r.latency.p99_s)),
        cell('received', fmt(r.received)), cell('published', fmt(r.published)), cell('invalid', fmt(r.invalid)), cell('refused', fmt(r.rejected)),
        cell('dropped-overflow', fmt(r.dropped_by_reason.overflow)), cell('dropped-max-age', fmt(r.dropped_by_reason.max_age)), cell('dropped-disk-full', fmt(r.dropped_by_reason.disk_full)),
      )
      body.append(tr)
    }
    if (s.routes.length === 0) body.innerHTML = '<tr><td colspan="15" class="muted">no routes</td></tr>'
  }

  // Issue 10: messages taken out of their queue because they would block it; shown only when there are any.
  function renderDeadLetters(d) {
    $('dead-letters').hidden = !d || d.total === 0
    if (!d || d.total === 0) return
    setText('dead-summary', d.total + ' in the table, ' + d.last_hour + ' in the last hour. Look and send again with: mainflux-export dead-letters list | replay | purge')
    $('dead-rows').replaceChildren(
      ...d.recent.map((x) => {
        const tr = document.createElement('tr')
        tr.title = x.detail
        tr.append(cell('seq', String(x.seq)), cell('route', x.route), cell('reason', x.reason), cell('bytes', fmt(x.bytes)), cell('when', fmtTime(x.dead_lettered_at)), cell('topic', x.topic))
        return tr
      }),
    )
  }

  function renderOutages(s) {
    const rows = []
    for (const link of ['nats', 'mqtt']) for (const o of s.links[link].outages) rows.push({ link, ...o })
    rows.sort((a, b) => b.started_at - a.started_at)
    const body = $('outages')
    body.replaceChildren()
    for (const o of rows.slice(0, 10)) {
      const tr = document.createElement('tr')
      tr.dataset.link = o.link
      tr.append(cell('link', o.link === 'mqtt' ? 'MQTT' : 'NATS'), cell('down', fmtTime(o.started_at)), cell('back', o.ended_at === null ? 'ongoing' : fmtTime(o.ended_at)), cell('duration', fmtDuration(o.duration_s)))
      const cause = cell('cause', o.cause || '–')
      cause.className = 'cause'
      tr.append(cause)
      body.append(tr)
    }
    if (rows.length === 0) body.innerHTML = '<tr><td colspan="5" class="muted">none since the start</td></tr>'
  }

  /** The chart panels of one route, made on first sight and kept while the route is there. */
  function routeChart(id) {
    let c = routeCharts.get(id)
    if (c) return c
    const section = document.createElement('section')
    section.dataset.routeChart = id
    const title = document.createElement('h2')
    title.textContent = 'route ' + id
    const rates = document.createElementNS('http://www.w3.org/2000/svg', 'svg')
    rates.setAttribute('class', 'chart')
    rates.setAttribute('aria-label', 'in and out msg/s of route ' + id)
    const queued = document.createElementNS('http://www.w3.org/2000/svg', 'svg')
    queued.setAttribute('class', 'chart small')
    queued.setAttribute('aria-label', 'queued messages of route ' + id)
    section.append(title, rates, queued)
    $('route-charts').append(section)
    c = { section, rates, queued }
    routeCharts.set(id, c)
    return c
  }

  function renderCharts(s) {
    const t1 = s.now
    const t0 = Math.max(t1 - WINDOW_MS, points.length > 0 ? Math.min(points[0].t, t1 - 60_000) : t1 - 60_000)
    const log = $('log-scale').checked
    const shade = s.links.mqtt.outages.map((o) => [o.started_at, o.ended_at])
    const style = window.getComputedStyle(document.body)
    const color = (name) => style.getPropertyValue(name).trim()
    const series = (get, name) => ({ color: color(name), points: points.flatMap((p) => (get(p) === undefined ? [] : [{ t: p.t, v: get(p) }])) })
    const common = { t0, t1, shade, gapMs: GAP_MS }
    chart.draw($('chart-rates'), { ...common, log, label: 'msg/s' + (log ? ' (log)' : ''), series: [series((p) => p.in, '--in'), series((p) => p.out, '--out')] })
    chart.draw($('chart-queued'), { ...common, log: false, label: 'queued', series: [series((p) => p.queued, '--q')] })
    const present = new Set(s.routes.map((r) => r.id))
    for (const [id, c] of routeCharts) {
      if (!present.has(id)) {
        c.section.remove()
        routeCharts.delete(id)
      }
    }
    for (const r of s.routes) {
      const c = routeChart(r.id)
      const of = (key) => (p) => p.routes[r.id]?.[key]
      chart.draw(c.rates, { ...common, log, label: 'msg/s' + (log ? ' (log)' : ''), series: [series(of('in'), '--in'), series(of('out'), '--out')] })
      chart.draw(c.queued, { ...common, log: false, label: 'queued', series: [series(of('queued'), '--q')] })
    }
  }

  let latest
  function render(s) {
    latest = s
    renderHeader(s)
    renderLinks(s)
    renderStore(s.store)
    renderRoutes(s)
    renderOutages(s)
    renderDeadLetters(s.dead_letters)
    renderCharts(s)
  }

  async function refresh() {
    try {
      const since = points.length > 0 ? points[points.length - 1].t : 0
      const res = await fetch(since > 0 ? 'status?since=' + since : 'status', { cache: 'no-store' })
      const s = await res.json()
      // Another run of the service (a restart): its history replaces the old one.
      if (s.started_at !== startedAt) {
        points = since > 0 && startedAt !== undefined ? [] : points
        startedAt = s.started_at
      }
      points.push(...s.history)
      points = points.filter((p) => p.t >= s.now - WINDOW_MS)
      render(s)
    } catch (err) {
      const error = $('error')
      error.hidden = false
      $('error-when').hidden = true
      setText('error-text', 'status unavailable: ' + err)
    } finally {
      window.setTimeout(refresh, 1000)
    }
  }

  const redraw = () => {
    if (latest) renderCharts(latest)
  }
  $('log-scale').addEventListener('change', redraw)
  window.addEventListener('resize', redraw)
  void refresh()
})()
