/**
 * Persons: pages of them (all, changed since an instant, or a deal's participants), one person, and
 * writing Leadgrid's custom fields on one (v2 persons, https://developers.pipedrive.com/docs/api/v1/Persons).
 */
import { PersonsApiFp } from 'pipedrive/v2'
import type { PipedriveRequest } from './client-request.js'

/** Persons are listed at most 500 per page (v2 cursor pagination). */
export const PERSON_PAGE_LIMIT = 500

export interface PipedrivePerson {
  id: number
  name?: string | null
  first_name?: string | null
  last_name?: string | null
  job_title?: string | null
  org_id?: number | null
  owner_id?: number | null
  emails?: { value?: string; primary?: boolean; label?: string }[] | null
  add_time?: string | null
  update_time?: string | null
  custom_fields?: Record<string, unknown> | null
}

export function personsCalls({ call, v2 }: PipedriveRequest) {
  return {
    /** One page of persons, oldest change first when `updatedSince` is given (reconciliation). */
    async listPersons(
      opts: { cursor?: string; limit?: number; updatedSince?: string; dealId?: number } = {},
    ): Promise<{ persons: PipedrivePerson[]; nextCursor: string | null }> {
      const limit = Math.min(opts.limit ?? PERSON_PAGE_LIMIT, PERSON_PAGE_LIMIT)
      const body = (await call('list persons', 'list', () =>
        PersonsApiFp(v2).getPersons(
          undefined,
          undefined,
          undefined,
          undefined,
          opts.dealId,
          opts.updatedSince,
          undefined,
          opts.updatedSince ? 'update_time' : 'id',
          'asc',
          undefined,
          undefined,
          undefined,
          undefined,
          limit,
          opts.cursor,
        ),
      )) as { data?: PipedrivePerson[]; additional_data?: { next_cursor?: string | null } } | null
      return { persons: body?.data ?? [], nextCursor: body?.additional_data?.next_cursor ?? null }
    },

    async getPerson(id: number): Promise<PipedrivePerson | null> {
      const body = (await call('read person', 'get', () => PersonsApiFp(v2).getPerson(id), {
        notFoundAsNull: true,
      })) as { data?: PipedrivePerson } | null
      return body?.data ?? null
    },

    /** Writes custom field values (keyed by field code). A deleted person answers null, not an error. */
    async updatePersonFields(id: number, customFields: Record<string, unknown>): Promise<boolean> {
      const body = await call(
        'update person',
        'update',
        () => PersonsApiFp(v2).updatePerson(id, { custom_fields: customFields } as never),
        { notFoundAsNull: true },
      )
      return body !== null
    },
  }
}

export type PersonsCalls = ReturnType<typeof personsCalls>
