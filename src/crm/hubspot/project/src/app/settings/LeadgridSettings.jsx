// The app settings page inside HubSpot: Leadgrid's settings live in Leadgrid itself (/app/),
// so this page explains and links there.
// https://developers.hubspot.com/docs/apps/developer-platform/add-features/ui-extensibility/create-a-settings-component
import { Button, Flex, hubspot, Text } from '@hubspot/ui-extensions'

const LEADGRID_URL = 'https://leadgrid.example.com'

hubspot.extend(({ context }) => <LeadgridSettings context={context} />)

function LeadgridSettings({ context }) {
  return (
    <Flex direction="column" gap="medium">
      <Text>
        The scoring grid, the field mapping, the MQL threshold and the lifecycle-stage option are managed in
        Leadgrid. Changes apply to this HubSpot account ({String(context.portal.id)}) as soon as they are
        published.
      </Text>
      <Button
        href={{ url: `${LEADGRID_URL}/app/?portalId=${context.portal.id}`, external: true }}
        variant="primary"
      >
        Open Leadgrid settings
      </Button>
    </Flex>
  )
}
