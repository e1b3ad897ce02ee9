/**
 * Free / personal email providers, from the maintained `email-providers` package (~8.7k domains)
 * rather than a hand-written list. Loaded once at module load; lookups are exact.
 */
import { createRequire } from 'node:module'

// `email-providers` ships its list as JSON; createRequire loads it the same way under tsx, tsc
// output and vitest, without depending on JSON import attributes.
const require = createRequire(import.meta.url)
const domains = require('email-providers/all.json') as string[]

const FREE_EMAIL_DOMAINS: ReadonlySet<string> = new Set(domains.map((d) => d.toLowerCase()))

/** True when `domain` (already lower-cased) is a free/personal email provider. */
export function isFreeEmailDomain(domain: string): boolean {
  return FREE_EMAIL_DOMAINS.has(domain)
}
