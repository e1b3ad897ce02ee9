/**
 * Workspace credentials. API keys are secrets: shown once, stored as SHA-256 hashes. Each key
 * names its workspace (`lg_sk_<workspace hex>_<secret>`), so a lookup is a primary-key read within
 * one workspace — no global index on secrets, and ready for sharding by workspace.
 * Public keys (the tracking snippet's) ship in web pages and only allow writing events.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

const SECRET_PREFIX = 'lg_sk_'
const PUBLIC_PREFIX = 'lg_pk_'

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex')
}

function compactId(workspaceId: string): string {
  return workspaceId.replaceAll('-', '')
}

function expandId(hex: string): string | null {
  if (!/^[0-9a-f]{32}$/.test(hex)) return null
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

export function newApiKey(workspaceId: string): { key: string; hash: string; prefix: string } {
  const key = `${SECRET_PREFIX}${compactId(workspaceId)}_${randomBytes(24).toString('base64url')}`
  return { key, hash: hashSecret(key), prefix: key.slice(0, SECRET_PREFIX.length + 8) }
}

export function newPublicKey(workspaceId: string): string {
  return `${PUBLIC_PREFIX}${compactId(workspaceId)}_${randomBytes(12).toString('base64url')}`
}

/** The workspace a key claims to belong to; the hash lookup then proves it. */
export function workspaceIdOfKey(key: string, kind: 'secret' | 'public'): string | null {
  const prefix = kind === 'secret' ? SECRET_PREFIX : PUBLIC_PREFIX
  if (!key.startsWith(prefix) || key.length > 200) return null
  return expandId(key.slice(prefix.length, prefix.length + 32))
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}
