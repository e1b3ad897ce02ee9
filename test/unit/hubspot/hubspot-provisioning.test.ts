import { readFileSync } from 'node:fs'
import nock from 'nock'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createHubSpotClient } from '../../../src/crm/hubspot/client.js'
import { propertiesApi } from '../../../src/crm/hubspot/client-properties.js'
import { LEADGRID_PROPERTIES, provisionHubSpotProperties } from '../../../src/crm/hubspot/provisioning.js'
import { createHubSpotRateLimits } from '../../../src/crm/hubspot/rate-limits.js'

const fixture = (name: string) => {
  const { _source, ...body } = JSON.parse(
    readFileSync(new URL(`../../fixtures/hubspot/${name}`, import.meta.url), 'utf8'),
  )
  return body
}
const API = 'http://hubspot.test'

beforeAll(() => nock.disableNetConnect())
afterEach(() => {
  expect(nock.isDone()).toBe(true)
  nock.cleanAll()
})

const client = () =>
  propertiesApi(
    createHubSpotClient({
      portalId: '62515',
      apiBase: API,
      accessToken: () => 'tok',
      limits: createHubSpotRateLimits(),
    }),
  )

/** A tiny stand-in portal: what is created is then listed. */
function portal() {
  const groups = [...fixture('property-groups-response.json').results]
  const props = [...fixture('properties-response.json').results]
  const posted: { group: unknown[]; property: Record<string, unknown>[] } = { group: [], property: [] }
  nock(API)
    .persist()
    .get('/crm/v3/properties/contacts/groups')
    .reply(() => [200, { results: groups }])
    .post('/crm/v3/properties/contacts/groups')
    .reply((_uri, body) => {
      posted.group.push(body)
      groups.push({ ...(body as object), archived: false })
      return [201, body]
    })
    .get('/crm/v3/properties/contacts')
    .query(true)
    .reply(() => [200, { results: props }])
    .post('/crm/v3/properties/contacts')
    .reply((_uri, body) => {
      const b = body as Record<string, unknown>
      posted.property.push(b)
      if (props.some((p) => p.name === b['name']))
        return [409, { status: 'error', category: 'OBJECT_ALREADY_EXISTS' }]
      props.push({ ...b, options: b['options'] ?? [] })
      return [201, b]
    })
  return posted
}

describe('HubSpot provisioning', () => {
  it('creates the group and the nine SPEC §6 properties once; a second run creates nothing', async () => {
    const posted = portal()
    const first = await provisionHubSpotProperties(client())
    expect(first.groupCreated).toBe(true)
    expect(first.created).toEqual([
      'leadgrid_score',
      'leadgrid_fit',
      'leadgrid_engagement',
      'leadgrid_band',
      'leadgrid_grade',
      'leadgrid_mql_status',
      'leadgrid_mql_date',
      'leadgrid_reasons',
      'leadgrid_scored_at',
    ])
    expect(posted.group).toEqual([{ name: 'leadgrid', label: 'Lead scoring (Leadgrid)', displayOrder: -1 }])
    const byName = Object.fromEntries(posted.property.map((p) => [p['name'], p]))
    expect(byName['leadgrid_score']).toMatchObject({
      type: 'number',
      fieldType: 'number',
      groupName: 'leadgrid',
    })
    expect(byName['leadgrid_mql_date']).toMatchObject({ type: 'datetime', fieldType: 'date' })
    expect(byName['leadgrid_scored_at']).toMatchObject({ type: 'datetime', fieldType: 'date' })
    expect(byName['leadgrid_reasons']).toMatchObject({ type: 'string' })
    const values = (name: string) =>
      ((byName[name]?.['options'] ?? []) as { value: string }[]).map((o) => o.value)
    expect(values('leadgrid_band')).toEqual(['cold', 'warm', 'hot'])
    expect(values('leadgrid_grade')).toEqual(['A1', 'A2', 'A3', 'B1', 'B2', 'B3', 'C1', 'C2', 'C3'])
    expect(values('leadgrid_mql_status')).toEqual(['mql', 'not_mql'])

    const before = posted.property.length
    const second = await provisionHubSpotProperties(client())
    expect(second).toEqual({
      groupCreated: false,
      created: [],
      existing: LEADGRID_PROPERTIES.map((p) => p.name),
      mismatched: [],
    })
    expect(posted.property.length).toBe(before)
    expect(posted.group.length).toBe(1)
    nock.cleanAll()
  })
})
