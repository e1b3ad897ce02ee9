/**
 * The HTML the server writes for /app: the page shell (an import map for the ES modules served from
 * node_modules, then the app's own module) and the two pages that need no script — the signed-out
 * landing and the refused link. Security headers for all of them live here too.
 */
import { createHash } from 'node:crypto'
import type { FastifyReply } from 'fastify'

export type Lang = 'en' | 'fr'

/** First language of Accept-Language that we speak; English otherwise. */
export function languageOf(acceptLanguage: string | undefined): Lang {
  const tags = (acceptLanguage ?? '')
    .split(',')
    .map((part) => {
      const [tag, ...params] = part.trim().split(';')
      const q = params.find((p) => p.trim().startsWith('q='))
      return { tag: (tag ?? '').toLowerCase(), q: q ? Number(q.trim().slice(2)) : 1 }
    })
    .filter((t) => t.tag && !Number.isNaN(t.q))
    .sort((a, b) => b.q - a.q)
  for (const { tag } of tags) {
    if (tag.startsWith('fr')) return 'fr'
    if (tag.startsWith('en')) return 'en'
  }
  return 'en'
}

const IMPORT_MAP = JSON.stringify({
  imports: {
    preact: '/app/vendor/preact.mjs',
    'preact/hooks': '/app/vendor/hooks.mjs',
    htm: '/app/vendor/htm.mjs',
    uplot: '/app/vendor/uPlot.esm.js',
  },
})
const IMPORT_MAP_HASH = createHash('sha256').update(IMPORT_MAP).digest('base64')

/**
 * The page's security headers. `crmHosts`: the CRM hosts allowed to frame it (each provider's app
 * pages, from its module in the registry), after the app itself.
 */
export function setPageHeaders(reply: FastifyReply, crmHosts: readonly string[]): FastifyReply {
  return (
    reply
      .header(
        'content-security-policy',
        [
          "default-src 'self'",
          `script-src 'self' 'sha256-${IMPORT_MAP_HASH}'`,
          "style-src 'self'",
          "img-src 'self' data:",
          "connect-src 'self'",
          "object-src 'none'",
          "base-uri 'none'",
          "form-action 'self'",
          `frame-ancestors ${["'self'", ...crmHosts].join(' ')}`,
        ].join('; '),
      )
      .header('x-content-type-options', 'nosniff')
      // A sign-in token sits in the login URL: never send it on as a referrer.
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
  )
}

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

function frame(lang: Lang, title: string, body: string, head = ''): string {
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/app/assets/app.css">
${head}
</head>
<body>
${body}
</body>
</html>
`
}

export function appShell(lang: Lang): string {
  return frame(
    lang,
    'Leadgrid',
    `<div id="app"><p class="loading">${lang === 'fr' ? 'Chargement…' : 'Loading…'}</p></div>
<noscript>${lang === 'fr' ? 'Cette page a besoin de JavaScript.' : 'This page needs JavaScript.'}</noscript>
<script type="module" src="/app/assets/main.js"></script>`,
    `<link rel="stylesheet" href="/app/vendor/uPlot.min.css">
<script type="importmap">${IMPORT_MAP}</script>`,
  )
}

const SIGNED_OUT = {
  en: {
    title: 'Sign in to Leadgrid',
    lead: 'Leadgrid signs you in with a one-time link — there is no password.',
    how: [
      'Running Leadgrid yourself? <code>npm start</code> prints a sign-in link for the demo workspace; <code>npx leadgrid login-link --workspace &lt;id&gt; [--role admin|viewer]</code> prints one for any workspace.',
    ],
    note: 'A link works once and expires after 15 minutes.',
  },
  fr: {
    title: 'Se connecter à Leadgrid',
    lead: 'Leadgrid vous connecte par un lien à usage unique — sans mot de passe.',
    how: [
      'Vous hébergez Leadgrid ? <code>npm start</code> affiche un lien de connexion pour l\u2019espace de démonstration ; <code>npx leadgrid login-link --workspace &lt;id&gt; [--role admin|viewer]</code> en affiche un pour n\u2019importe quel espace.',
    ],
    note: 'Un lien ne sert qu\u2019une fois et expire au bout de 15 minutes.',
  },
}

/** How to sign in from inside a CRM, in each language (from the provider modules that offer it). */
export type SignInHints = readonly Record<Lang, string>[]

export function signedOutPage(lang: Lang, problem?: 'invalid_link', crmHints: SignInHints = []): string {
  const t = SIGNED_OUT[lang]
  const how = [...t.how, ...crmHints.map((h) => h[lang])]
  const alert =
    problem === 'invalid_link'
      ? `<p class="error" role="alert">${
          lang === 'fr'
            ? 'Ce lien de connexion n\u2019est pas valide : il a expiré ou a déjà servi. Demandez-en un nouveau.'
            : 'This sign-in link is not valid: it has expired or was already used. Ask for a new one.'
        }</p>`
      : ''
  return frame(
    lang,
    t.title,
    `<main class="signin">
<h1>${t.title}</h1>
${alert}
<p>${t.lead}</p>
<ul>${how.map((h) => `<li>${h}</li>`).join('')}</ul>
<p class="muted">${t.note}</p>
</main>`,
  )
}
