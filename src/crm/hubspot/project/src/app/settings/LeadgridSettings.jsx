// The app settings page inside HubSpot: Leadgrid's settings live in Leadgrid itself (/app/), so this
// page asks Leadgrid's backend for a one-time sign-in link (POST /hubspot/app-link, v3-signed by
// HubSpot through hubspot.fetch) and offers it as a button that opens the settings page in a new tab.
// https://developers.hubspot.com/docs/apps/developer-platform/add-features/ui-extensibility/create-a-settings-component
import { Button, ErrorState, Flex, hubspot, LoadingSpinner, Text } from '@hubspot/ui-extensions'
import { useCallback, useEffect, useState } from 'react'

// Must be listed in app-hsmeta.json permittedUrls.fetch.
const LEADGRID_URL = 'https://leadgrid.example.com'

hubspot.extend(({ context }) => <LeadgridSettings context={context} />)

function LeadgridSettings({ context }) {
  const [state, setState] = useState({ loading: true })

  // The link is one-time and short-lived: fetch a fresh one on load and after each click.
  const fetchLink = useCallback(() => {
    setState({ loading: true })
    hubspot
      .fetch(`${LEADGRID_URL}/hubspot/app-link`, {
        method: 'POST',
        timeout: 10000,
        body: { portalId: context.portal.id, userId: context.user?.id },
      })
      .then((res) => {
        if (res.status === 404) return Promise.reject(new Error('Leadgrid is not installed in this account.'))
        return res.ok ? res.json() : Promise.reject(new Error(`Leadgrid answered ${res.status}`))
      })
      .then((data) => setState({ url: data.url }))
      .catch((error) => setState({ error: error.message }))
  }, [context.portal.id, context.user?.id])

  useEffect(fetchLink, [fetchLink])

  return (
    <Flex direction="column" gap="medium">
      <Text>
        The scoring grid, the field mapping, the MQL threshold and the lifecycle-stage option are managed in
        Leadgrid. Changes apply to this HubSpot account ({String(context.portal.id)}) as soon as they are
        published.
      </Text>
      {state.loading ? <LoadingSpinner label="Preparing your sign-in link" /> : null}
      {state.error ? (
        <ErrorState title="Leadgrid is unavailable">
          <Text>{state.error}</Text>
          <Button onClick={fetchLink}>Try again</Button>
        </ErrorState>
      ) : null}
      {state.url ? (
        <Button
          href={{ url: state.url, external: true }}
          variant="primary"
          onClick={() => setTimeout(fetchLink, 1000)}
        >
          Open Leadgrid settings
        </Button>
      ) : null}
    </Flex>
  )
}
