// The app settings page inside HubSpot: Leadgrid's settings live in Leadgrid itself (/app/), so this
// page asks Leadgrid's backend for a one-time sign-in link (POST /hubspot/app-link, v3-signed by
// HubSpot through hubspot.fetch) and offers it as a button that opens the settings page in a new tab.
// The body names nothing: Leadgrid takes the portal and the user from what HubSpot adds to the signed
// URL. The answer is a 200 either way ({ installed: true, url } or { installed: false }); anything
// else — HubSpot's proxy may hand back an error of its own in place of Leadgrid's — is one failure.
// https://developers.hubspot.com/docs/apps/developer-platform/add-features/ui-extensibility/create-a-settings-component
import { Button, ErrorState, Flex, hubspot, LoadingSpinner, Text } from '@hubspot/ui-extensions'
import { useCallback, useEffect, useState } from 'react'

// Must be listed in app-hsmeta.json permittedUrls.fetch.
const LEADGRID_URL = 'https://leadgrid.example.com'

/**
 * @typedef {import('@hubspot/ui-extensions').SettingsContext} SettingsContext
 * @typedef {{ installed: boolean, url?: string }} AppLinkAnswer
 * @typedef {{ loading?: boolean, url?: string, notInstalled?: boolean, error?: string }} SettingsState
 */

hubspot.extend(({ context }) => <LeadgridSettings context={/** @type {SettingsContext} */ (context)} />)

/** @param {{ context: SettingsContext }} props */
function LeadgridSettings({ context }) {
  const [state, setState] = useState(/** @type {SettingsState} */ ({ loading: true }))

  // The link is one-time and short-lived: fetch a fresh one on load and after each click.
  const fetchLink = useCallback(() => {
    setState({ loading: true })
    hubspot
      .fetch(`${LEADGRID_URL}/hubspot/app-link`, { method: 'POST', timeout: 10000, body: {} })
      .then((res) => (res.ok ? res.json() : Promise.reject(new Error('Leadgrid could not be reached'))))
      .then((/** @type {AppLinkAnswer} */ data) => {
        if (data.installed && data.url) setState({ url: data.url })
        else if (data.installed === false) setState({ notInstalled: true })
        else setState({ error: 'Leadgrid gave an answer this page does not understand.' })
      })
      .catch(() => setState({ error: 'Leadgrid could not be reached. Try again in a moment.' }))
  }, [])

  useEffect(fetchLink, [fetchLink])

  return (
    <Flex direction="column" gap="medium">
      <Text>
        The scoring grid, the field mapping, the MQL threshold and the lifecycle-stage option are managed in
        Leadgrid. Changes apply to this HubSpot account ({String(context.portal.id)}) as soon as they are
        published.
      </Text>
      {state.loading ? <LoadingSpinner label="Preparing your sign-in link" /> : null}
      {state.notInstalled ? (
        <ErrorState title="Leadgrid is not connected to this account">
          <Text>Leadgrid has no active install for this HubSpot account. Install the app again.</Text>
          <Button onClick={fetchLink}>Check again</Button>
        </ErrorState>
      ) : null}
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
          onClick={() => {
            setTimeout(fetchLink, 1000)
          }}
        >
          Open Leadgrid settings
        </Button>
      ) : null}
    </Flex>
  )
}
