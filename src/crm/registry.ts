/**
 * Providers by name: a typed map, no switch. A provider appears here once its folder implements
 * the interfaces of ./types.ts.
 */
import { hubspotWriteBackMapping } from './hubspot/hubspot-write-back.js'
import { pipedriveWriteBackMapping } from './pipedrive/person-fields.js'
import type { CrmProviderName, CrmWriteBackMapping } from './types.js'

export const writeBackMappings = {
  hubspot: hubspotWriteBackMapping,
  pipedrive: pipedriveWriteBackMapping,
} satisfies Record<CrmProviderName, CrmWriteBackMapping>
