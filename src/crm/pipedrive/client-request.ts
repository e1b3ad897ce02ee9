/**
 * The one call every Pipedrive API area is written over (client.ts builds it): a request through the
 * company's daily budget and burst window, retried as client.ts says, its failures typed.
 */
import type { Configuration as V1Configuration } from 'pipedrive/v1'
import type { Configuration as V2Configuration } from 'pipedrive/v2'
import type { CallKind } from './rate-limits.js'

/**
 * A generated request function. Its axios parameter is typed from the package's CommonJS typings,
 * which TypeScript sees as unrelated to the ESM ones we import, hence `never` and a cast at the call.
 */
export type RequestFunction = (instance?: never) => Promise<unknown>

/** Sends `request` (`op` names it in errors); a 404 answers null when `notFoundAsNull`. */
export type PipedriveCall = <T = unknown>(
  op: string,
  kind: CallKind,
  request: () => Promise<RequestFunction>,
  opts?: { notFoundAsNull?: boolean },
) => Promise<T | null>

export interface PipedriveRequest {
  call: PipedriveCall
  /** The generated APIs' settings for `/api/v1` and `/api/v2` of the company's domain. */
  v1: V1Configuration
  v2: V2Configuration
}
