/**
 * pino, structured. Secrets are redacted by path wherever they could appear (headers, tokens,
 * keys), so a log line never carries a credential even at debug level.
 */
import pino, { type Logger } from 'pino'
import pretty from 'pino-pretty'

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-hubspot-signature"]',
  'req.headers["x-hubspot-signature-v3"]',
  '*.access_token',
  '*.refresh_token',
  '*.accessToken',
  '*.refreshToken',
  '*.apiKey',
  '*.client_secret',
  '*.clientSecret',
  '*.password',
  'access_token',
  'refresh_token',
  'apiKey',
]

/**
 * Request lines carry the path, never the query string: OAuth callbacks bring `code` and `state`
 * there, and a customer's GET form may bring anything.
 */
export function requestSerializer(req: {
  method?: string
  url?: string
  ip?: string
  headers?: Record<string, unknown>
}) {
  return {
    method: req.method,
    url: req.url?.split('?')[0],
    remoteAddress: req.ip,
    userAgent: req.headers?.['user-agent'],
  }
}

/**
 * JSON lines for machines (a platform's log drain, `jq`); readable lines when a person watches a
 * terminal (stdout is a TTY), as the pino ecosystem does. Redaction applies before either.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const out =
    destination ??
    (process.stdout.isTTY
      ? pretty({ colorize: true, sync: true, ignore: 'pid,hostname,service' })
      : undefined)
  return pino(
    {
      level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: { service: 'leadgrid' },
      serializers: { req: requestSerializer, err: pino.stdSerializers.err },
    },
    out,
  )
}
