/**
 * The CRM providers that implement the contract of ./types.ts today, looked up by name. The neutral
 * services (connections, flush, sync, deliveries) only ever reach a provider through this, so a
 * connection of a provider that is not registered fails with a clear error instead of a TypeError.
 *
 * Today it holds Pipedrive; HubSpot still runs on its own services (src/crm/hubspot/*) and joins this
 * registry next session, when `satisfies Record<CrmProviderName, CrmProvider>` replaces the Partial.
 */
import type { CrmProvider, CrmProviderName } from './types.js'

export class ProviderNotRegistered extends Error {
  constructor(readonly provider: string) {
    super(
      `The ${provider} CRM provider is not registered with the provider-neutral services yet (it runs on its own services)`,
    )
    this.name = 'ProviderNotRegistered'
  }
}

export interface CrmProviderRegistry {
  get(name: CrmProviderName): CrmProvider
  has(name: string): name is CrmProviderName
  names(): CrmProviderName[]
}

export function createProviderRegistry(
  providers: Partial<Record<CrmProviderName, CrmProvider>>,
): CrmProviderRegistry {
  return {
    get(name) {
      const p = providers[name]
      if (!p) throw new ProviderNotRegistered(name)
      return p
    },
    has(name): name is CrmProviderName {
      return Object.hasOwn(providers, name) && providers[name as CrmProviderName] !== undefined
    },
    names: () => Object.keys(providers) as CrmProviderName[],
  }
}
