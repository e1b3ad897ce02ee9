/**
 * The registry the neutral CRM services reach providers through: every provider by name, and a
 * connection row naming a provider this version does not know fails with an error naming it, not a
 * TypeError (nor a prototype property: `toString` is not a provider).
 */
import { describe, expect, it } from 'vitest'
import { createProviderRegistry, ProviderNotRegistered } from '../../../src/crm/provider-registry.js'
import type { CrmProvider, CrmProviderName } from '../../../src/crm/types.js'

describe('CRM provider registry', () => {
  const pipedrive = { name: 'pipedrive' } as CrmProvider
  const hubspot = { name: 'hubspot' } as CrmProvider
  const registry = createProviderRegistry({ hubspot, pipedrive })

  it('gives each registered provider', () => {
    expect(registry.get('pipedrive')).toBe(pipedrive)
    expect(registry.get('hubspot')).toBe(hubspot)
    expect(registry.has('pipedrive')).toBe(true)
    expect(registry.names().sort()).toEqual(['hubspot', 'pipedrive'])
  })

  it('names a provider it does not know instead of failing obscurely', () => {
    expect(registry.has('salesforce')).toBe(false)
    expect(registry.has('toString')).toBe(false)
    expect(() => registry.get('salesforce' as CrmProviderName)).toThrow(ProviderNotRegistered)
    expect(() => registry.get('toString' as CrmProviderName)).toThrow(/toString CRM provider is not known/)
  })
})
