/**
 * The provider-neutral CRM services of one running Leadgrid, built once by the runtime (src/runtime.ts)
 * and exposed on AppDeps as `crm`, so routes and workers of a process share one provider registry and
 * one rate-limit registry per provider. The provider modules (crm/providers.ts) are handed in by the
 * runtime: this file names no provider.
 * This is the composition root of the CRM layer: nothing below it caches services of its own.
 */

import { CRM_PROVIDER_NAMES } from '../domain/crm.js'
import { createConnectionService } from './connection-service.js'
import { createDeliveryService } from './delivery-service.js'
import type { CrmModule, CrmModuleDeps, CrmNeutralServices, CrmProviderParts } from './provider-module.js'
import {
  type CrmProviderRegistry,
  createProviderRegistry,
  ProviderNotRegistered,
} from './provider-registry.js'
import { createSyncService } from './sync-service.js'
import type { CrmOutcomeRecorder, CrmProvider, CrmProviderName } from './types.js'
import { createWriteBackFlush } from './write-back-flush.js'

export interface CrmServicesDeps extends CrmModuleDeps {
  /** The provider modules (crm/providers.ts), one per CrmProviderName. */
  modules: readonly CrmModule[]
  /** Where CRM outcomes go (the outcomes store of src/outcomes/); unset: logged and dropped. */
  recordOutcomes?: CrmOutcomeRecorder | undefined
}

export function createCrmServices(deps: CrmServicesDeps) {
  const builds = deps.modules.map((m) => ({ name: m.name, ...m.build(deps) }))
  const providers = createProviderRegistry(providersByName(builds.map((b) => b.provider)))
  const neutral = neutralServices(deps, providers)
  const parts = new Map(builds.map((b) => [b.name, b.parts(neutral)] as const))
  return {
    providers,
    ...neutral,
    /** Every provider's parts (routes, Connections tab, settings schema…), in the registry's order. */
    allParts: (): CrmProviderParts[] => [...parts.values()],
    /** One provider's parts, by name. */
    partsOf(name: CrmProviderName): CrmProviderParts {
      const p = parts.get(name)
      if (!p) throw new ProviderNotRegistered(name)
      return p
    },
  }
}

/** The adapters by name; every CrmProviderName must have one, and only one. */
function providersByName(list: CrmProvider[]): Record<CrmProviderName, CrmProvider> {
  const byName = new Map(list.map((p) => [p.name, p]))
  if (byName.size !== list.length) throw new Error('Two CRM provider modules share a name')
  for (const name of CRM_PROVIDER_NAMES) if (!byName.has(name)) throw new ProviderNotRegistered(name)
  return Object.fromEntries(byName) as Record<CrmProviderName, CrmProvider>
}

/** Connections, the write-back flush, sync and deliveries: the same for every provider. */
function neutralServices(
  deps: CrmServicesDeps,
  providers: CrmProviderRegistry,
): CrmNeutralServices & { flush: ReturnType<typeof createWriteBackFlush> } {
  const { db, clock, logger, queue, secretBox, ingestion } = deps
  const outcomes = deps.recordOutcomes ? { recordOutcomes: deps.recordOutcomes } : {}
  const connections = createConnectionService({ db, clock, logger, secretBox, providers, queue })
  const flush = createWriteBackFlush({ db, clock, logger, queue, connections, providers })
  const sync = createSyncService({ db, clock, logger, queue, ingestion, connections, providers, ...outcomes })
  const deliveries = createDeliveryService({
    db,
    clock,
    logger,
    queue,
    ingestion,
    connections,
    providers,
    ...outcomes,
  })
  return { connections, flush, sync, deliveries }
}

export type CrmServices = ReturnType<typeof createCrmServices>
