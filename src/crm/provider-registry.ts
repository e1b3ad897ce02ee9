/**
 * The CRM providers that implement the contract of ./types.ts, looked up by name. The neutral
 * services (connections, flush, sync, deliveries, jobs, routes) only ever reach a provider through
 * this. Every CrmProviderName must have one (the argument is a full Record, built with `satisfies` in
 * crm-services.ts): a provider added to the union without an adapter fails to compile. A row naming
 * an unknown provider (a database written by a newer version) fails with a clear error.
 */
import type { CrmProvider, CrmProviderName, CrmWriteBackMapping } from './types.js'

export class ProviderNotRegistered extends Error {
  constructor(readonly provider: string) {
    super(`The ${provider} CRM provider is not known to this version of Leadgrid`)
    this.name = 'ProviderNotRegistered'
  }
}

export interface CrmProviderRegistry {
  get(name: CrmProviderName): CrmProvider
  has(name: string): name is CrmProviderName
  names(): CrmProviderName[]
}

export function createProviderRegistry(providers: Record<CrmProviderName, CrmProvider>): CrmProviderRegistry {
  return {
    get(name) {
      const p = Object.hasOwn(providers, name) ? providers[name] : undefined
      if (!p) throw new ProviderNotRegistered(name)
      return p
    },
    has(name): name is CrmProviderName {
      return Object.hasOwn(providers, name)
    },
    names: () => Object.keys(providers) as CrmProviderName[],
  }
}

/**
 * Each registered provider's write-back mapping, for the outbox (write-back-outbox.ts) inside the
 * rescore transaction: the registry is the one place providers are listed.
 */
export function writeBackMappingsOf(
  registry: CrmProviderRegistry,
): Partial<Record<CrmProviderName, CrmWriteBackMapping>> {
  return Object.fromEntries(registry.names().map((name) => [name, registry.get(name).writeBack]))
}
