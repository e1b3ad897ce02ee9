/**
 * Person fields: listing them, creating Leadgrid's, adding options to a single-option field
 * (v2 personFields, https://developers.pipedrive.com/docs/api/v1/PersonFields).
 */
import { PersonFieldsApiFp } from 'pipedrive/v2'
import type { PipedriveRequest } from './client-request.js'
import { PipedriveApiError } from './errors.js'

export interface PipedriveFieldOption {
  id: number
  label: string
}

export interface PipedrivePersonField {
  field_code: string
  field_name: string
  field_type: string
  is_custom_field?: boolean
  options?: PipedriveFieldOption[] | null
}

export function personFieldsCalls({ call, v2 }: PipedriveRequest) {
  return {
    async listPersonFields(): Promise<PipedrivePersonField[]> {
      const fields: PipedrivePersonField[] = []
      let cursor: string | undefined
      do {
        const body = (await call('list person fields', 'list', () =>
          PersonFieldsApiFp(v2).getPersonFields(undefined, 500, cursor),
        )) as { data?: PipedrivePersonField[]; additional_data?: { next_cursor?: string | null } } | null
        fields.push(...(body?.data ?? []))
        cursor = body?.additional_data?.next_cursor ?? undefined
      } while (cursor)
      return fields
    },

    async addPersonField(field: {
      field_name: string
      field_type: 'double' | 'enum' | 'date' | 'text' | 'varchar'
      options?: { label: string }[]
    }): Promise<PipedrivePersonField> {
      const body = (await call('create person field', 'write', () =>
        PersonFieldsApiFp(v2).addPersonField(field as never),
      )) as { data?: PipedrivePersonField } | null
      if (!body?.data?.field_code) {
        throw new PipedriveApiError('create person field: no field_code in the answer', 200, false, undefined)
      }
      return body.data
    },

    /** Adds options to a single-option field (atomic on Pipedrive's side); returns every option now. */
    async addPersonFieldOptions(fieldCode: string, labels: string[]): Promise<PipedriveFieldOption[]> {
      const body = (await call('add person field options', 'write', () =>
        PersonFieldsApiFp(v2).addPersonFieldOptions(fieldCode, labels.map((label) => ({ label })) as never),
      )) as { data?: PipedriveFieldOption[] } | null
      return body?.data ?? []
    },
  }
}

export type PersonFieldsCalls = ReturnType<typeof personFieldsCalls>
