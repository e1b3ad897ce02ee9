/**
 * HubSpot's contact properties API for one portal, over the shared call path (client.ts): the
 * property groups and properties provisioning.ts reads and creates.
 * Source: https://developers.hubspot.com/docs/api-reference/latest/crm/properties/guide
 */
import type { HubSpotClient } from './client.js'

export interface HubSpotPropertyGroup {
  name: string
  label: string
}

export interface HubSpotPropertyOption {
  label: string
  value: string
  displayOrder?: number
  hidden?: boolean
  description?: string
}

export interface HubSpotPropertyDefinition {
  name: string
  label: string
  type: 'string' | 'number' | 'date' | 'datetime' | 'enumeration' | 'bool'
  fieldType: 'text' | 'textarea' | 'date' | 'number' | 'select' | 'radio' | 'checkbox' | 'booleancheckbox'
  groupName: string
  description?: string
  displayOrder?: number
  options?: HubSpotPropertyOption[]
  formField?: boolean
}

export function propertiesApi(client: Pick<HubSpotClient, 'call' | 'limiters'>) {
  const { call, limiters } = client
  return {
    async listPropertyGroups(): Promise<HubSpotPropertyGroup[]> {
      const res = await call('list property groups', limiters.api, (c, o) =>
        c.crm.properties.groupsApi.getAllWithHttpInfo('contacts', o as never),
      )
      return (res?.results ?? []).map((g) => ({ name: g.name, label: g.label }))
    },

    async createPropertyGroup(group: HubSpotPropertyGroup & { displayOrder?: number }): Promise<void> {
      await call('create property group', limiters.api, (c, o) =>
        c.crm.properties.groupsApi.createWithHttpInfo('contacts', group, o as never),
      )
    },

    async listProperties(): Promise<HubSpotPropertyDefinition[]> {
      const res = await call('list properties', limiters.api, (c, o) =>
        c.crm.properties.coreApi.getAllWithHttpInfo('contacts', false, undefined, o as never),
      )
      return (res?.results ?? []).map((p) => ({
        name: p.name,
        label: p.label,
        type: p.type as HubSpotPropertyDefinition['type'],
        fieldType: p.fieldType as HubSpotPropertyDefinition['fieldType'],
        groupName: p.groupName,
        options: (p.options ?? []).map((x) => ({ label: x.label, value: x.value })),
      }))
    },

    async createProperty(def: HubSpotPropertyDefinition): Promise<void> {
      await call('create property', limiters.api, (c, o) =>
        c.crm.properties.coreApi.createWithHttpInfo('contacts', def as never, o as never),
      )
    },
  }
}

export type HubSpotPropertiesApi = ReturnType<typeof propertiesApi>
