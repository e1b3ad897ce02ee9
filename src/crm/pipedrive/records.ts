/**
 * Reading persons for the backfill and for reconciliation: v2 persons, 500 a page, cursor;
 * reconciliation asks for those changed since an instant (`updated_since`), oldest change first.
 */
import type { CrmConnection, CrmPage, CrmSession } from '../types.js'
import type { PersonsCalls, PipedrivePerson } from './client-persons.js'
import { personUpsert } from './mapping.js'
import { fieldMapOf, ownFieldCodes } from './provisioning.js'

/** The latest update time among `persons`, or null when none says. */
export function newestUpdate(persons: PipedrivePerson[]): Date | null {
  let newest: number | null = null
  for (const p of persons) {
    const t = p.update_time ? Date.parse(p.update_time) : Number.NaN
    if (Number.isFinite(t)) newest = newest === null ? t : Math.max(newest, t)
  }
  return newest === null ? null : new Date(newest)
}

export function personReads(
  client: Pick<PersonsCalls, 'listPersons'>,
  connection: Pick<CrmConnection, 'settings'>,
): Pick<CrmSession, 'contactsPage' | 'changedSince'> {
  function page(persons: PipedrivePerson[], next: string | null): CrmPage {
    const own = ownFieldCodes(fieldMapOf(connection))
    return { contacts: persons.map((p) => personUpsert(p, own)), events: [], read: persons.length, next }
  }

  return {
    async contactsPage(cursor) {
      const res = await client.listPersons(cursor ? { cursor } : {})
      return page(res.persons, res.nextCursor)
    },

    async changedSince(since, cursor) {
      const res = await client.listPersons({
        updatedSince: since.toISOString().replace(/\.\d{3}Z$/, 'Z'),
        ...(cursor ? { cursor } : {}),
      })
      return { ...page(res.persons, res.nextCursor), newest: newestUpdate(res.persons) }
    },
  }
}
