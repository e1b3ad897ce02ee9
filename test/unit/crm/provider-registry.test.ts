/**
 * The registry the neutral CRM services reach providers through: a connection of a provider that is
 * not registered yet (HubSpot, this session) fails with an error naming it, not a TypeError.
 */
import { describe, expect, it } from 'vitest'
import { createProviderRegistry, ProviderNotRegistered } from '../../../src/crm/provider-registry.js'
import type { CrmProvider } from '../../../src/crm/types.js'

describe('CRM provider registry', () => {
  const pipedrive = { name: 'pipedrive' } as CrmProvider
  const registry = createProviderRegistry({ pipedrive })

  it('gives the registered provider', () => {
    expect(registry.get('pipedrive')).toBe(pipedrive)
    expect(registry.has('pipedrive')).toBe(true)
    expect(registry.names()).toEqual(['pipedrive'])
  })

  it('names a provider that is not registered instead of failing obscurely', () => {
    expect(registry.has('hubspot')).toBe(false)
    expect(registry.has('toString')).toBe(false)
    expect(() => registry.get('hubspot')).toThrow(ProviderNotRegistered)
    expect(() => registry.get('hubspot')).toThrow(/hubspot CRM provider is not registered/)
  })
})
