/**
 * Resolves the contacts of a whole ingest batch with a fixed number of set-based statements,
 * whatever the batch size: identity locks, one lookup, new contacts, new identities, first-seen
 * times and profile patches — each one round trip. Per-item statements made
 * ingestion an order of magnitude slower than the database allows.
 *
 * It gives exactly the result of calling resolveContact (+ patchProfile) for each request in order
 * (contact-repository.ts): the requests are played in memory against what the lookup found, so a
 * later request sees the contact an earlier one created in the same batch. The one case it does not
 * play is a merge (a request naming two contacts, or an untrusted source naming two known people):
 * merges are rare, move rows of several tables and have their own rules, so it then returns null
 * before writing anything and the caller resolves the batch one request at a time.
 */
import { randomUUID } from 'node:crypto'
import { type Kysely, sql, type Transaction } from 'kysely'
import type { ContactIdentity, ContactProfile } from '../domain/contact.js'
import type { Database } from './schema.js'

type Tx = Transaction<Database>
type Executor = Kysely<Database> | Tx

export interface BulkResolveRequest {
  identities: ContactIdentity[]
  firstSeenAt: Date
  /** Given keys overwrite, `null` clears; a new contact starts with the non-null values. */
  patch: ContactProfile
}

export interface BulkResolved {
  id: string
  /** This request created the contact (only the first of several naming the same new person). */
  created: boolean
  /** Created, or its patch changed the stored profile. */
  changed: boolean
}

/** An identity's key in memory; the same string takes its advisory lock (contact-repository.ts). */
const identityKey = (workspaceId: string, i: ContactIdentity) => `${workspaceId}|${i.kind}|${i.value}`

function applyPatch(profile: ContactProfile, patch: ContactProfile): ContactProfile {
  const next: ContactProfile = { ...profile }
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete next[key]
    else next[key] = value
  }
  return next
}

/** The same comparison patchProfile makes. */
const sameProfile = (a: ContactProfile, b: ContactProfile) => JSON.stringify(a) === JSON.stringify(b)

export interface PlannedContact {
  id: string
  isNew: boolean
  firstSeenAt: Date
  /** An existing contact's first-seen time as read. */
  storedFirstSeenAt?: Date
  /** An existing contact's profile as the lookup read it, without a lock. */
  snapshot?: ContactProfile
  /** Loaded (existing contacts with a patch) or built (new ones); undefined: not needed. */
  profile?: ContactProfile
  /** The stored profile as read, to write only what changed. */
  stored?: ContactProfile
}

/** What the identity lookup found: the contact each known identity belongs to, as read. */
export interface FoundIdentity {
  kind: string
  value: string
  id: string
  first_seen_at: Date
  properties: ContactProfile
}

/** The contacts the batch's identities name now, in one statement (no lock taken here). */
export async function lookupIdentities(
  db: Executor,
  workspaceId: string,
  requests: BulkResolveRequest[],
): Promise<FoundIdentity[]> {
  const unique = new Map<string, ContactIdentity>()
  for (const r of requests) for (const i of r.identities) unique.set(identityKey(workspaceId, i), i)
  const kinds = [...unique.values()].map((i) => i.kind)
  const values = [...unique.values()].map((i) => i.value)
  const found = await sql<FoundIdentity>`
    SELECT i.kind, i.value, c.id, c.first_seen_at, c.properties
    FROM unnest(${kinds}::text[], ${values}::text[]) AS q(kind, value)
    JOIN contact_identities i ON i.workspace_id = ${workspaceId} AND i.kind = q.kind AND i.value = q.value
    JOIN contacts c ON c.workspace_id = i.workspace_id AND c.id = i.contact_id`.execute(db)
  return found.rows
}

/** Every identity key of the batch, sorted: the order their advisory locks are taken in. */
export function identityLockKeys(workspaceId: string, requests: BulkResolveRequest[]): string[] {
  return [...new Set(requests.flatMap((r) => r.identities.map((i) => identityKey(workspaceId, i))))].sort()
}

/**
 * The requests played in memory against what the lookup found: which contact each one lands on,
 * which contacts and identities are new, which existing contacts move their first-seen time back,
 * and whose stored profile the batch would change (judged on the lookup's unlocked snapshot).
 * null when a request would merge contacts.
 */
export interface BulkPlan {
  landed: { contact: PlannedContact; created: boolean }[]
  created: PlannedContact[]
  newIdentities: { kind: string; value: string; contact: PlannedContact }[]
  existing: Map<string, PlannedContact>
  /** Existing contacts whose profile the batch changes on the snapshot, in id order. */
  toPatch: string[]
  /** Existing contacts whose first-seen time the batch moves back. */
  earlier: PlannedContact[]
}

export function planBulkResolve(
  workspaceId: string,
  requests: BulkResolveRequest[],
  found: FoundIdentity[],
): BulkPlan | null {
  const owner = new Map<string, PlannedContact>()
  const existing = new Map<string, PlannedContact>()
  for (const row of found) {
    const contact = existing.get(row.id) ?? {
      id: row.id,
      isNew: false,
      firstSeenAt: row.first_seen_at,
      storedFirstSeenAt: row.first_seen_at,
      snapshot: row.properties,
    }
    existing.set(row.id, contact)
    owner.set(
      identityKey(workspaceId, { kind: row.kind as ContactIdentity['kind'], value: row.value }),
      contact,
    )
  }
  const created: PlannedContact[] = []
  const newIdentities: BulkPlan['newIdentities'] = []
  const landed: BulkPlan['landed'] = []
  for (const r of requests) {
    const named = new Set(r.identities.map((i) => owner.get(identityKey(workspaceId, i))).filter((c) => !!c))
    if (named.size > 1) return null
    let contact = [...named][0]
    const isCreator = !contact
    if (!contact) {
      contact = {
        id: randomUUID(),
        isNew: true,
        firstSeenAt: r.firstSeenAt,
        profile: applyPatch({}, r.patch),
      }
      created.push(contact)
    } else if (r.firstSeenAt < contact.firstSeenAt) contact.firstSeenAt = r.firstSeenAt
    for (const i of r.identities) {
      const key = identityKey(workspaceId, i)
      if (owner.has(key)) continue
      owner.set(key, contact)
      newIdentities.push({ kind: i.kind, value: i.value, contact })
    }
    landed.push({ contact, created: isCreator })
  }

  // A patch that changes nothing on the lookup's snapshot — the email of a known person, on every
  // event — needs neither a lock nor a statement: the batch simply counts as applied before any
  // concurrent change.
  const changes = new Map<PlannedContact, ContactProfile>()
  for (const [n, r] of requests.entries()) {
    const { contact } = landed[n]!
    if (contact.isNew || Object.keys(r.patch).length === 0) continue
    const before = changes.get(contact) ?? contact.snapshot!
    changes.set(contact, applyPatch(before, r.patch))
  }
  const toPatch = [...changes]
    .filter(([contact, after]) => !sameProfile(after, contact.snapshot!))
    .map(([contact]) => contact.id)
    .sort()
  const earlier = [...existing.values()].filter((c) => c.firstSeenAt < c.storedFirstSeenAt!)
  return { landed, created, newIdentities, existing, toPatch, earlier }
}

/**
 * Resolves every request in order, or returns null (nothing written, only identity locks taken)
 * when one of them would merge contacts — whatever `mergeKnownContacts` says, as even the refusal
 * to merge is decided by the one-by-one path. Identity locks are taken for the whole batch in one
 * sorted statement, so two batches cannot deadlock on them.
 */
export async function resolveContactsInBulk(
  trx: Tx,
  workspaceId: string,
  requests: BulkResolveRequest[],
): Promise<BulkResolved[] | null> {
  if (requests.length === 0) return []
  const keys = identityLockKeys(workspaceId, requests)
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest(${keys}::text[]) AS k`.execute(
    trx,
  )
  const plan = planBulkResolve(workspaceId, requests, await lookupIdentities(trx, workspaceId, requests))
  if (!plan) return null
  const { landed, created, newIdentities, existing, toPatch, earlier } = plan

  // Existing contacts whose profile the batch changes: read again and locked (as patchProfile
  // does), in id order so two batches lock them in the same order.
  if (toPatch.length > 0) {
    // NO KEY UPDATE: it does not block another transaction inserting an event for these contacts.
    const rows = await sql<{ id: string; properties: ContactProfile }>`
      SELECT id, properties FROM contacts
      WHERE workspace_id = ${workspaceId} AND id = ANY(${toPatch}::uuid[])
      ORDER BY id FOR NO KEY UPDATE`.execute(trx)
    for (const row of rows.rows) {
      const contact = existing.get(row.id)!
      contact.profile = row.properties
      contact.stored = row.properties
    }
  }
  const out: BulkResolved[] = requests.map((r, n) => {
    const { contact, created: isCreator } = landed[n]!
    if (isCreator) return { id: contact.id, created: true, changed: true }
    if (Object.keys(r.patch).length === 0 || !contact.profile)
      return { id: contact.id, created: false, changed: false }
    const next = applyPatch(contact.profile, r.patch)
    const changed = !sameProfile(next, contact.profile)
    contact.profile = next
    return { id: contact.id, created: false, changed }
  })

  if (created.length > 0) await insertNewContacts(workspaceId, created).execute(trx)
  if (newIdentities.length > 0) {
    // The identity locks make these new for certain; DO NOTHING as resolveContact does, all the same.
    await sql`${insertNewIdentities(workspaceId, newIdentities)} ON CONFLICT (workspace_id, kind, value) DO NOTHING`.execute(
      trx,
    )
  }
  // Only rows whose first-seen time moves back are written (and locked); LEAST all the same, in
  // case a concurrent merge moved it since the lookup.
  if (earlier.length > 0) {
    await sql`
      UPDATE contacts c SET first_seen_at = v.first_seen_at
      FROM unnest(${earlier.map((c) => c.id)}::uuid[], ${earlier.map((c) => c.firstSeenAt.toISOString())}::timestamptz[])
        AS v(id, first_seen_at)
      WHERE c.workspace_id = ${workspaceId} AND c.id = v.id AND v.first_seen_at < c.first_seen_at`.execute(
      trx,
    )
  }
  const patched = [...existing.values()].filter((c) => c.stored && !sameProfile(c.profile!, c.stored))
  if (patched.length > 0) {
    await sql`
      UPDATE contacts c SET properties = v.properties, email = v.email, updated_at = now()
      FROM unnest(${patched.map((c) => c.id)}::uuid[], ${patched.map((c) => JSON.stringify(c.profile))}::jsonb[],
                  ${patched.map((c) => emailOf(c.profile))}::text[]) AS v(id, properties, email)
      WHERE c.workspace_id = ${workspaceId} AND c.id = v.id`.execute(trx)
  }
  return out
}

/** INSERT of the plan's new contacts (a statement, or a CTE of one). */
export function insertNewContacts(workspaceId: string, created: PlannedContact[]) {
  return sql`
    INSERT INTO contacts (workspace_id, id, first_seen_at, properties, email)
    SELECT ${workspaceId}, id, first_seen_at, properties, email
    FROM unnest(${created.map((c) => c.id)}::uuid[], ${created.map((c) => c.firstSeenAt.toISOString())}::timestamptz[],
                ${created.map((c) => JSON.stringify(c.profile ?? {}))}::jsonb[], ${created.map((c) => emailOf(c.profile))}::text[])
      AS v(id, first_seen_at, properties, email)`
}

/** INSERT of the plan's new identities (a statement, or a CTE of one); the caller adds ON CONFLICT or not. */
export function insertNewIdentities(workspaceId: string, identities: BulkPlan['newIdentities']) {
  return sql`
    INSERT INTO contact_identities (workspace_id, kind, value, contact_id)
    SELECT ${workspaceId}, kind, value, contact_id
    FROM unnest(${identities.map((i) => i.kind)}::text[], ${identities.map((i) => i.value)}::text[],
                ${identities.map((i) => i.contact.id)}::uuid[]) AS v(kind, value, contact_id)`
}

function emailOf(profile: ContactProfile | undefined): string | null {
  const email = profile?.['email']
  return typeof email === 'string' ? email : null
}
