/**
 * Who a token belongs to: `GET /api/v1/users/me` (the token response names neither company nor user).
 * https://developers.pipedrive.com/docs/api/v1/Users#getCurrentUser
 */
import { UsersApiFp } from 'pipedrive/v1'
import type { PipedriveRequest } from './client-request.js'
import { PipedriveApiError } from './errors.js'

export interface PipedriveCurrentUser {
  userId: number
  companyId: number
  companyName: string | null
  companyDomain: string | null
  isAdmin: boolean
}

export function usersCalls({ call, v1 }: PipedriveRequest) {
  return {
    /** Who authorized the token, and for which company. */
    async currentUser(): Promise<PipedriveCurrentUser> {
      const body = await call('read current user', 'get', () => UsersApiFp(v1).getCurrentUser())
      const data = (body as { data?: Record<string, unknown> } | null)?.data
      if (!data || typeof data.id !== 'number' || typeof data.company_id !== 'number') {
        throw new PipedriveApiError('read current user: unexpected answer', 200, false, undefined)
      }
      return {
        userId: data.id,
        companyId: data.company_id,
        companyName: typeof data.company_name === 'string' ? data.company_name : null,
        companyDomain: typeof data.company_domain === 'string' ? data.company_domain : null,
        isAdmin: data.is_admin === true || data.is_admin === 1,
      }
    },
  }
}
