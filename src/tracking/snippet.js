/*! Leadgrid website tracking. Install: <script async src="https://LEADGRID/t.js" data-key="lg_pk_…"></script>
 * Cookie-less; sends nothing under Do Not Track or Global Privacy Control. See src/tracking/README.md. */
;(() => {
  const w = window
  const d = document
  const n = navigator
  // A page that includes the snippet twice must not count everything twice.
  // biome-ignore lint/complexity/useOptionalChain: the snippet is ES2017, without ?.
  if ((w.leadgrid || {}).v) return
  const script = d.currentScript || d.querySelector('script[data-key][src*="t.js"]')
  const key = script ? script.getAttribute('data-key') : null
  const pre = Array.isArray(w.leadgrid) ? w.leadgrid : []
  const noop = () => false
  const api = { v: 1, identify: noop, track: noop, consent: noop, push: noop, visitorId: noop }
  w.leadgrid = api
  if (!key) return console.warn('[leadgrid] the script tag needs data-key="lg_pk_…"')
  if (/^(1|yes)$/.test(n.doNotTrack || w.doNotTrack) || n.globalPrivacyControl === true) return
  const endpoint = new URL('t/collect', script.src).href
  const EMAIL = /^(?:[\w'+-]+\.)*[\w'+-]*[\w+-]@(?:[A-Za-z0-9][A-Za-z0-9-]*\.)+[A-Za-z]{2,}$/
  const ASSETS = ['whitepaper', 'ebook', 'report', 'guide', 'case-study', 'other']
  const rid = (bytes) =>
    Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => (b + 256).toString(16).slice(1)).join('')
  // Blocked storage (privacy modes, sandboxed frames) throws: the id then lives as long as the page.
  const stored = (area, name) => {
    try {
      const s = w[area]
      const v = s.getItem(name) || rid(16)
      s.setItem(name, v)
      return v
    } catch (_) {
      return rid(16)
    }
  }
  const cut = (s, max) =>
    s == null ? undefined : String(s).replace(/\s+/g, ' ').trim().slice(0, max) || undefined
  // No fragment. Query values that carry an email, or whose names look personal or secret, are
  // blanked: a form sent with GET puts every field in the next page's URL.
  const PRIVATE =
    /pass|pwd|token|secret|auth|key|phone|tel|mobile|card|cvv|ssn|iban|mail|name|address|zip|postal|birth|dob/i
  const clean = (href) => {
    if (!href) return undefined
    const u = new URL(href, location.href)
    u.hash = ''
    u.search = u.search.replace(/([?&])([^=&]*)=([^&]*)/g, (all, sep, k, v) =>
      PRIVATE.test(k.replace(/%[0-9a-f]{2}/gi, ' ')) || /@|%40/i.test(v) ? sep + k + '=' : all,
    )
    return cut(u.href, 2048)
  }
  const attr = (el, name) => cut(el.getAttribute(name), 512)

  let visitorId
  let sessionId
  const queue = []
  let identity
  let timer = 0
  let lastUrl
  let started = false
  const pending = []

  // Calls before start (consent pending) wait, a few of them at most.
  const later = (...call) => pending.length < 20 && pending.push(call) > 0

  const post = (body, attempt, beacon) => {
    const json = JSON.stringify(Object.assign({ sentAt: new Date().toISOString() }, body))
    if ((beacon || !w.fetch) && n.sendBeacon && n.sendBeacon(endpoint, json)) return
    if (!w.fetch) return
    // A string body goes as text/plain: a "simple" CORS request, so no preflight round trip.
    fetch(endpoint, { method: 'POST', body: json, keepalive: true, credentials: 'omit' })
      .then((r) => {
        if (r.status === 429 || r.status >= 500) throw r
        if (r.status >= 400) r.json().then((b) => console.warn('[leadgrid]', b.error.message), noop)
      })
      .catch(() => attempt < 3 && setTimeout(() => post(body, attempt + 1), 1000 * 4 ** attempt))
  }

  const flush = (beacon) => {
    clearTimeout(timer)
    timer = 0
    while (queue.length || identity) {
      const body = { key, visitorId, events: queue.splice(0, 20) }
      if (identity) body.identify = { email: identity }
      identity = undefined
      post(body, 0, beacon)
    }
  }

  const send = (type, attributes, email, now) => {
    const event = { id: rid(12), type, occurredAt: new Date().toISOString(), attributes }
    if (email) event.email = email
    queue.push(event)
    if (now) flush(true)
    else timer = timer || setTimeout(flush, 0)
  }

  const pageView = () => {
    const url = clean(location.href)
    if (url === lastUrl) return
    const referrer = lastUrl || clean(d.referrer)
    lastUrl = url
    send('page.viewed', { url, title: cut(d.title, 512), referrer, sessionId })
  }

  const onSubmit = (e) => {
    const form = e.target || {}
    if (form.tagName !== 'FORM' || form.hasAttribute('data-leadgrid-ignore')) return
    // getAttribute, not form.id / form.name: a field named "name" would shadow them.
    const formId = attr(form, 'data-leadgrid-form') || attr(form, 'id') || attr(form, 'name')
    const formName =
      attr(form, 'data-leadgrid-form-name') || attr(form, 'aria-label') || attr(form, 'name') || formId
    // Only the email is read, to identify the visitor; no other field value ever leaves the page.
    let email
    for (const field of Array.from(form.elements)) {
      const value =
        (field.type === 'email' || /email/i.test(field.name || '')) && String(field.value || '').trim()
      if (value && value.length <= 320 && EMAIL.test(value)) {
        email = value
        break
      }
    }
    send('form.submitted', { formId, formName, url: clean(location.href) }, email, true)
  }

  const onClick = (e) => {
    if (e.type === 'auxclick' && e.button !== 1) return
    const target = e.target || {}
    const link = target.closest ? target.closest('[data-leadgrid-asset]') : null
    if (!link) return
    const type = link.getAttribute('data-leadgrid-asset-type')
    send(
      'asset.downloaded',
      {
        assetId: attr(link, 'data-leadgrid-asset') || attr(link, 'href'),
        assetName: attr(link, 'data-leadgrid-asset-name') || cut(link.textContent, 512),
        assetType: ASSETS.indexOf(type) >= 0 ? type : 'other',
      },
      undefined,
      true,
    )
  }

  const identify = (email) => {
    email = String(email || '').trim()
    if (email.length > 320 || !EMAIL.test(email)) {
      console.warn('[leadgrid] not an email:', email)
      return false
    }
    if (!started) return later('identify', email)
    identity = email
    timer = timer || setTimeout(flush, 0)
    return true
  }

  // A name that is not a built-in type becomes a custom event of that name; only scalar values go.
  const track = (type, attributes) => {
    if (!type || typeof type !== 'string') return false
    if (!started) return later('track', type, attributes)
    const out = {}
    for (const [k, v] of Object.entries(attributes || {}).slice(0, 40)) {
      if (v === null || typeof v === 'number' || typeof v === 'boolean') out[k.slice(0, 64)] = v
      else if (typeof v === 'string') out[k.slice(0, 64)] = v.slice(0, 2048)
    }
    if (['page.viewed', 'form.submitted', 'asset.downloaded', 'custom'].indexOf(type) < 0) {
      out.name = type
      type = 'custom'
    }
    if (type === 'custom') out.name = cut(out.name, 256)
    if (type === 'custom' && !out.name) return false
    if (type === 'page.viewed') out.url = cut(out.url, 2048) || clean(location.href)
    if (type === 'asset.downloaded' && ASSETS.indexOf(out.assetType) < 0) out.assetType = 'other'
    send(type, out)
    return true
  }

  const start = () => {
    if (started) return true
    started = true
    visitorId = stored('localStorage', 'leadgrid_vid')
    sessionId = stored('sessionStorage', 'leadgrid_sid')
    pageView()
    const push = history.pushState
    history.pushState = function (...args) {
      const r = push.apply(this, args)
      setTimeout(pageView, 0)
      return r
    }
    w.addEventListener('popstate', () => setTimeout(pageView, 0))
    d.addEventListener('submit', onSubmit, true)
    d.addEventListener('click', onClick, true)
    d.addEventListener('auxclick', onClick, true)
    w.addEventListener('pagehide', () => flush(true))
    for (const call of pending.splice(0)) api[call[0]].apply(null, call.slice(1))
    return true
  }

  api.identify = identify
  api.track = track
  api.consent = start
  api.visitorId = () => visitorId
  // Calls made before this async script arrived: window.leadgrid = window.leadgrid || []; leadgrid.push([…])
  api.push = (call) => typeof api[call[0]] === 'function' && api[call[0]].apply(null, call.slice(1))
  for (const call of pre) api.push(call)
  if (script.getAttribute('data-consent') !== 'required') start()
})()
