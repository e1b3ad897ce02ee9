// The contact-record card. Data comes from Leadgrid's backend (POST /hubspot/card, v3-signed by HubSpot),
// which answers from its own database — the card makes no CRM call. The body names the record only:
// the portal is the one HubSpot adds to the signed URL, the only one Leadgrid trusts.
// https://developers.hubspot.com/docs/apps/developer-platform/add-features/ui-extensibility/app-cards/reference
import {
  DescriptionList,
  DescriptionListItem,
  Divider,
  ErrorState,
  Flex,
  Heading,
  hubspot,
  LoadingSpinner,
  Tag,
  Text,
} from '@hubspot/ui-extensions'
import { useEffect, useState } from 'react'

// Must be listed in app-hsmeta.json permittedUrls.fetch.
const LEADGRID_URL = 'https://leadgrid.example.com'

hubspot.extend(({ context }) => <LeadgridScoreCard context={/** @type {CrmContext} */ (context)} />)

/**
 * @typedef {import('@hubspot/ui-extensions').CrmContext} CrmContext
 * @typedef {NonNullable<import('@hubspot/ui-extensions').TagProps['variant']>} TagVariant
 * @typedef {{ label: string, points: number }} Reason
 * @typedef {{ at: string, total: number, band: string, mql: boolean }} Change
 * @typedef {{ scored: boolean, score?: number, fit?: number, engagement?: number, band?: string,
 *   grade?: string, mql?: boolean, mqlSince?: string | null, topReasons: Reason[],
 *   recentChanges: Change[] }} CardAnswer
 * @typedef {{ loading?: boolean, data?: CardAnswer, error?: string }} CardState
 */

/** @type {Record<string, TagVariant>} */
const BAND_VARIANT = { hot: 'error', warm: 'warning', cold: 'default' }

/** @param {{ context: CrmContext }} props */
function LeadgridScoreCard({ context }) {
  const [state, setState] = useState(/** @type {CardState} */ ({ loading: true }))

  useEffect(() => {
    hubspot
      .fetch(`${LEADGRID_URL}/hubspot/card`, {
        method: 'POST',
        timeout: 10000,
        body: { objectId: context.crm.objectId, objectTypeId: context.crm.objectTypeId },
      })
      // HubSpot's proxy may answer an error of its own instead of Leadgrid's: any non-2xx is one failure.
      .then((res) => (res.ok ? res.json() : Promise.reject(new Error('Leadgrid could not be reached'))))
      .then((/** @type {CardAnswer} */ data) => setState({ data }))
      .catch(() => setState({ error: 'Leadgrid could not be reached. Reload the record to try again.' }))
  }, [context.crm.objectId, context.crm.objectTypeId])

  if (state.loading) return <LoadingSpinner label="Loading the score" />
  const { data } = state
  if (state.error || !data) {
    return <ErrorState title="Leadgrid is unavailable">{state.error ?? ''}</ErrorState>
  }
  if (!data.scored) return <Text>Leadgrid has not scored this contact yet.</Text>

  return (
    <Flex direction="column" gap="small">
      <Flex direction="row" gap="small" align="center">
        <Heading>{data.score}</Heading>
        <Tag variant={BAND_VARIANT[data.band ?? ''] ?? 'default'}>{data.band}</Tag>
        <Tag variant="info">{data.grade}</Tag>
        {data.mql ? <Tag variant="success">MQL</Tag> : null}
      </Flex>
      <DescriptionList direction="row">
        <DescriptionListItem label="Fit">{String(data.fit)}</DescriptionListItem>
        <DescriptionListItem label="Engagement">{String(data.engagement)}</DescriptionListItem>
        <DescriptionListItem label="MQL since">
          {data.mqlSince ? new Date(data.mqlSince).toLocaleDateString() : '—'}
        </DescriptionListItem>
      </DescriptionList>
      <Divider />
      <Text format={{ fontWeight: 'bold' }}>Why</Text>
      {data.topReasons.length === 0 ? <Text>No rule has fired yet.</Text> : null}
      {data.topReasons.map((r) => (
        <Text key={r.label}>{`${r.points > 0 ? '+' : ''}${r.points} ${r.label}`}</Text>
      ))}
      {data.recentChanges.length > 0 ? (
        <>
          <Divider />
          <Text format={{ fontWeight: 'bold' }}>Recent changes</Text>
          {data.recentChanges.map((c) => (
            <Text
              key={c.at}
            >{`${new Date(c.at).toLocaleDateString()}: ${c.total} (${c.band}${c.mql ? ', MQL' : ''})`}</Text>
          ))}
        </>
      ) : null}
    </Flex>
  )
}
