/**
 * The environment, validated once at start. A bad value stops the start with a message
 * naming the variable; the parsed config is frozen and passed in, never read from process.env again.
 */
import { isIP } from 'node:net'
import { z } from 'zod'

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/** The sslmode values node-postgres can honour (it has no plaintext fallback, so no allow/prefer). */
export const SSL_MODES = ['disable', 'no-verify', 'require', 'verify-ca', 'verify-full'] as const
export type SslMode = (typeof SSL_MODES)[number]
function sslModeMessage(issue: { input?: unknown }): string {
  const given = JSON.stringify(issue.input)
  return ['allow', 'prefer'].includes(String(issue.input))
    ? `${given} is not supported (node-postgres cannot fall back to plaintext); use require or disable`
    : `must be one of ${SSL_MODES.join(', ')}, got ${given}`
}

const url = z.url({ protocol: /^https?$/ })
const optionalText = z.string().min(1).optional()
/** 32 bytes, given as 64 hex characters or base64; secrets shorter than that are refused. */
const key32 = z
  .string()
  .refine((v) => decodeKey(v) !== null, 'must be 32 bytes as 64 hex characters or base64')

/** proxy-addr's names for address ranges, accepted by Fastify's trustProxy beside addresses and CIDRs. */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal'])

function isProxyAddress(entry: string): boolean {
  if (PROXY_RANGE_NAMES.has(entry)) return true
  const [address, bits, extra] = entry.split('/')
  if (extra !== undefined || !address) return false
  const family = isIP(address)
  if (family === 0) return false
  if (bits === undefined) return true
  // A prefix length, or an IPv4 netmask as proxy-addr also accepts (10.0.0.0/255.0.0.0).
  if (/^\d{1,3}$/.test(bits)) return Number(bits) <= (family === 4 ? 32 : 128)
  return family === 4 && isIP(bits) === 4
}

/**
 * Which proxy in front of Leadgrid may set X-Forwarded-For. Off by default: then
 * the socket's address is the client's, and a forged header changes neither the rate limits nor the
 * logs. `true` trusts every hop (only when nothing but your proxy can reach the port), a number
 * trusts that many hops from the socket (Heroku's router: 1), a comma list trusts those addresses
 * or CIDR ranges — the forms Fastify's `trustProxy` takes.
 */
const trustProxy = z
  .string()
  .trim()
  .transform((value, ctx): boolean | number | string[] => {
    if (value === 'false' || value === '0') return false
    if (value === 'true') return true
    if (/^\d+$/.test(value)) {
      const hops = Number(value)
      if (hops <= 100) return hops
    }
    const entries = value
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e !== '')
    const bad = entries.filter((e) => !isProxyAddress(e))
    if (entries.length === 0 || bad.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `must be true, false, a hop count (0-100) or a comma list of addresses/CIDRs; not ${bad.length > 0 ? bad.map((b) => JSON.stringify(b)).join(', ') : JSON.stringify(value)}`,
      })
      return z.NEVER
    }
    return entries
  })

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  TRUST_PROXY: trustProxy.default(false),
  PUBLIC_URL: url.optional(),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  /**
   * TLS to DATABASE_URL, as libpq's sslmode: `require` encrypts without checking the certificate
   * (Heroku Postgres presents one no public CA signs), `verify-full` checks it and the host name.
   * DATABASE_SSL wins over PGSSLMODE (read here, never by pg itself: pg maps `require` to a
   * verified connection, which Heroku refuses).
   */
  DATABASE_SSL: z.enum(SSL_MODES, { error: sslModeMessage }).optional(),
  /** libpq's variable, often set machine-wide: checked only when DATABASE_URL is used (below). */
  PGSSLMODE: z.string().optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  ENCRYPTION_KEY: key32.optional(),
  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  HUBSPOT_CLIENT_ID: optionalText,
  HUBSPOT_CLIENT_SECRET: optionalText,
  HUBSPOT_APP_ID: optionalText,
  HUBSPOT_API_BASE: url.default('https://api.hubapi.com'),
  HUBSPOT_AUTHORIZE_URL: url.default('https://app.hubspot.com/oauth/authorize'),
  /** Per-portal budget; HubSpot allows marketplace apps 110 requests / 10 s per installed account. */
  HUBSPOT_RATE_LIMIT_PER_10S: z.coerce.number().int().min(1).max(10_000).default(110),
  PIPEDRIVE_CLIENT_ID: optionalText,
  PIPEDRIVE_CLIENT_SECRET: optionalText,
  PIPEDRIVE_OAUTH_BASE: url.default('https://oauth.pipedrive.com'),
  ROLE: z.enum(['all', 'web', 'worker']).default('all'),
  /**
   * Load shedding of the HTTP role (@fastify/under-pressure, README "Scaling"): above this mean
   * event-loop delay (ms, sampled each second) requests other than /healthz and /metrics get 503 with
   * Retry-After. 0 turns the check off.
   */
  PRESSURE_MAX_EVENT_LOOP_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
  /** The same above this heap in use (MB); unset: 90 % of V8's heap limit; 0 turns the check off. */
  PRESSURE_MAX_HEAP_USED_MB: z.coerce.number().int().min(0).max(1_000_000).optional(),
  /** The Retry-After (s) of a shed request. */
  PRESSURE_RETRY_AFTER_SECONDS: z.coerce.number().int().min(1).max(3_600).default(5),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  DEMO_DATA: z.enum(['true', 'false']).default('true'),
})

export type RawConfig = z.infer<typeof configSchema>

export interface Config extends Omit<RawConfig, 'PUBLIC_URL' | 'DEMO_DATA' | 'PGSSLMODE'> {
  PUBLIC_URL: string
  DEMO_DATA: boolean
  /** DATABASE_SSL, else PGSSLMODE, else undefined (pg's default: whatever DATABASE_URL says). */
  databaseSsl: SslMode | undefined
  /** True when no DATABASE_URL is set: PGlite under DATA_DIR, one process. */
  embeddedDatabase: boolean
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** Parses the environment; throws a ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  // Empty strings mean "unset" — a common shape of .env files and platform dashboards.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''))
  const parsed = configSchema.safeParse(present)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`)
    throw new ConfigError(`Invalid environment:\n${lines.join('\n')}`)
  }
  const raw = parsed.data
  const embeddedDatabase = raw.DATABASE_URL === undefined
  if (raw.NODE_ENV === 'production') {
    const missing = (['ENCRYPTION_KEY', 'SESSION_SECRET', 'PUBLIC_URL'] as const).filter((k) => !raw[k])
    if (missing.length > 0) {
      throw new ConfigError(
        `Invalid environment:\n${missing.map((k) => `  ${k}: required in production`).join('\n')}`,
      )
    }
  }
  if (embeddedDatabase && raw.ROLE !== 'all') {
    throw new ConfigError(
      'Invalid environment:\n  ROLE: the embedded database serves one process; set DATABASE_URL to run web and worker apart',
    )
  }
  const pgSslMode = embeddedDatabase ? undefined : z.enum(SSL_MODES).safeParse(raw.PGSSLMODE)
  if (pgSslMode && !pgSslMode.success && raw.PGSSLMODE !== undefined) {
    throw new ConfigError(`Invalid environment:\n  PGSSLMODE: ${sslModeMessage({ input: raw.PGSSLMODE })}`)
  }
  const publicUrl = (raw.PUBLIC_URL ?? `http://localhost:${raw.PORT}`).replace(/\/+$/, '')
  return Object.freeze({
    ...raw,
    PUBLIC_URL: publicUrl,
    DEMO_DATA: raw.DEMO_DATA === 'true',
    databaseSsl: raw.DATABASE_SSL ?? (pgSslMode?.success ? pgSslMode.data : undefined),
    embeddedDatabase,
  })
}

/**
 * pg's `ssl` option for a mode: undefined leaves it to DATABASE_URL (an `sslmode` or `ssl` in the
 * URL still wins, as pg applies the URL over the options). `verify-ca` checks the chain but not
 * the host name, as libpq does.
 */
export function pgSslOption(
  mode: SslMode | undefined,
): boolean | { rejectUnauthorized: boolean; checkServerIdentity?: () => undefined } | undefined {
  switch (mode) {
    case undefined:
      return undefined
    case 'disable':
      return false
    case 'no-verify':
    case 'require':
      return { rejectUnauthorized: false }
    case 'verify-ca':
      return { rejectUnauthorized: true, checkServerIdentity: () => undefined }
    case 'verify-full':
      return { rejectUnauthorized: true }
  }
}

export function decodeKey(value: string): Buffer | null {
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex')
  const b = Buffer.from(value, 'base64')
  return b.length === 32 ? b : null
}
