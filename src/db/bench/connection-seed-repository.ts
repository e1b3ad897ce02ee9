/**
 * An active HubSpot connection for the benchmarks, installed as far as Leadgrid cares (provisioned,
 * backfilled), written straight into `connections` with tokens the caller has already sealed.
 */
import type { Db } from '../database.js'

export async function insertInstalledHubSpotConnection(
  db: Db,
  connection: { workspaceId: string; portalId: number; accessTokenEnc: string; refreshTokenEnc: string },
): Promise<string> {
  const row = await db
    .insertInto('connections')
    .values({
      workspace_id: connection.workspaceId,
      provider: 'hubspot',
      account_id: String(connection.portalId),
      access_token_enc: connection.accessTokenEnc,
      refresh_token_enc: connection.refreshTokenEnc,
      token_expires_at: new Date(Date.now() + 365 * 86_400_000),
      settings: JSON.stringify({}),
      provisioning: JSON.stringify({ status: 'done' }),
      backfill: JSON.stringify({ status: 'done' }),
      reconcile_cursor: new Date(),
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}
