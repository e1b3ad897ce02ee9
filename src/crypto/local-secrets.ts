/**
 * In embedded mode a fresh clone has no ENCRYPTION_KEY or SESSION_SECRET: generate them once and
 * keep them beside the database under DATA_DIR (mode 0600), so restarts can still decrypt tokens.
 * Production requires them in the environment (config.ts refuses to start without).
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Config, decodeKey } from '../config.js'

export interface Secrets {
  encryptionKey: Buffer
  sessionSecret: string
}

export function resolveSecrets(
  config: Pick<Config, 'ENCRYPTION_KEY' | 'SESSION_SECRET' | 'DATA_DIR'>,
): Secrets {
  if (config.ENCRYPTION_KEY && config.SESSION_SECRET) {
    return { encryptionKey: decodeKey(config.ENCRYPTION_KEY)!, sessionSecret: config.SESSION_SECRET }
  }
  const file = join(config.DATA_DIR, 'secrets.json')
  let stored: { encryptionKey: string; sessionSecret: string }
  if (existsSync(file)) {
    stored = JSON.parse(readFileSync(file, 'utf8'))
  } else {
    mkdirSync(config.DATA_DIR, { recursive: true })
    stored = {
      encryptionKey: randomBytes(32).toString('hex'),
      sessionSecret: randomBytes(32).toString('base64url'),
    }
    writeFileSync(file, JSON.stringify(stored), { mode: 0o600 })
  }
  return {
    encryptionKey: config.ENCRYPTION_KEY
      ? decodeKey(config.ENCRYPTION_KEY)!
      : Buffer.from(stored.encryptionKey, 'hex'),
    sessionSecret: config.SESSION_SECRET ?? stored.sessionSecret,
  }
}
