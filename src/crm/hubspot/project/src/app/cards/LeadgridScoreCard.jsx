// The contact-record card. Data comes from Leadgrid's backend (POST /hubspot/card, v3-signed by HubSpot),
// which answers from its own database — the card makes no CRM call.
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

hubspot.extend(({ context }) => <LeadgridScoreCard context={context} />)

const BAND_VARIANT = { hot: 'danger', warm: 'warning', cold: 'default' }

function LeadgridScoreCard({ context }) {
  const [state, setState] = useState({ loading: true })

  useEffect(() => {
    hubspot
      .fetch(`${LEADGRID_URL}/hubspot/card`, {
        method: 'POST',
        timeout: 10000,
        body: {
          portalId: context.portal.id,
          objectId: context.crm.objectId,
          objectTypeId: context.crm.objectTypeId,
        },
      })
      .then((res) => (res.ok ? res.json() : Promise.reject(new Error(`Leadgrid answered ${res.status}`))))
      .then((data) => setState({ data }))
      .catch((error) => setState({ error: error.message }))
  }, [context.portal.id, context.crm.objectId, context.crm.objectTypeId])

  if (state.loading) return <LoadingSpinner label="Loading the score" />
  if (state.error) return <ErrorState title="Leadgrid is unavailable">{state.error}</ErrorState>
  const { data } = state
  if (!data.scored) return <Text>Leadgrid has not scored this contact yet.</Text>

  return (
    <Flex direction="column" gap="small">
      <Flex direction="row" gap="small" align="center">
        <Heading>{data.score}</Heading>
        <Tag variant={BAND_VARIANT[data.band] ?? 'default'}>{data.band}</Tag>
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
