/**
 * HubSpot lifecycle changes, lead status and closed deals → outcomes, against HubSpot's documented
 * payloads (fixtures cite their sources), and the reads over real HTTP (nock).
 */
import { readFileSync } from 'node:fs'
import nock from 'nock'
import { afterEach, describe, expect, it } from 'vitest'
import { createHubSpotOutcomeReads } from '../../../src/crm/hubspot/client-deals.js'
import {
  classifyDealStages,
  isDealStageChange,
  outcomeFromPropertyChange,
  outcomesFromContact,
  outcomesFromDeal,
} from '../../../src/crm/hubspot/outcomes.js'

const fixture = (name: string) => {
  const body = JSON.parse(readFileSync(new URL(`../../fixtures/hubspot/${name}`, import.meta.url), 'utf8'))
  if (!Array.isArray(body)) delete body._source
  return body
}

const API = 'http://hubspot.test'
// The wiring passes the client's rate-limited request; here plain fetch over nock.
const reads = createHubSpotOutcomeReads(async (method, path, body) => {
  const res = await fetch(`${API}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return res.json()
})

afterEach(() => {
  nock.cleanAll()
})

describe('lifecycle and lead status changes', () => {
  it('maps SQL, opportunity, customer and UNQUALIFIED, and ignores the other changes', () => {
    const events = fixture('webhook-lifecycle-and-deal.json')
    const outcomes = events.map(outcomeFromPropertyChange).filter(Boolean)
    expect(outcomes).toEqual([
      {
        crmId: '201',
        kind: 'sql',
        occurredAt: '2026-04-01T08:00:00.000Z',
        sourceKey: 'hs:62515:contact:201:sql',
      },
      {
        crmId: '201',
        kind: 'opportunity',
        occurredAt: '2026-04-02T08:00:00.000Z',
        sourceKey: 'hs:62515:contact:201:opportunity',
      },
      {
        crmId: '202',
        kind: 'won',
        occurredAt: '2026-04-03T08:00:00.000Z',
        sourceKey: 'hs:62515:contact:202:won',
      },
      {
        crmId: '203',
        kind: 'disqualified',
        occurredAt: '2026-04-04T08:00:00.000Z',
        sourceKey: 'hs:62515:contact:203:disqualified',
      },
    ])
    // The deal stage change is not a contact outcome by itself: it needs the deal and its contacts.
    expect(isDealStageChange(events[6])).toBe(true)
    expect(isDealStageChange(events[0])).toBe(false)
    // The generic form of the same change (objectTypeId 0-3: deals); another object's stage is not one.
    const generic = { ...events[6], subscriptionType: 'object.propertyChange', objectTypeId: '0-3' }
    expect(isDealStageChange(generic)).toBe(true)
    expect(isDealStageChange({ ...generic, objectTypeId: '0-5' })).toBe(false)
    expect(
      isDealStageChange({ ...generic, subscriptionType: 'object.creation', propertyName: undefined }),
    ).toBe(true)
  })

  it('a retried delivery yields the same key, so it is stored once', () => {
    const [first] = fixture('webhook-lifecycle-and-deal.json')
    const retry = { ...first, attemptNumber: 3, eventId: 9999, occurredAt: first.occurredAt + 1 }
    expect(outcomeFromPropertyChange(retry)?.sourceKey).toBe(outcomeFromPropertyChange(first)?.sourceKey)
  })

  it('backfills from the calculated stage dates (ISO or epoch ms) and the lead status', () => {
    const outcomes = outcomesFromContact(62515, {
      id: '210',
      properties: {
        hs_lifecyclestage_salesqualifiedlead_date: '2026-03-01T10:00:00.000Z',
        hs_lifecyclestage_opportunity_date: '1772964000000',
        hs_lifecyclestage_customer_date: '',
        hs_lead_status: 'unqualified',
        lastmodifieddate: '2026-03-20T00:00:00Z',
      },
    })
    expect(outcomes.map((o) => [o.kind, o.occurredAt])).toEqual([
      ['sql', '2026-03-01T10:00:00.000Z'],
      ['opportunity', '2026-03-08T10:00:00.000Z'],
      ['disqualified', '2026-03-20T00:00:00.000Z'],
    ])
    expect(outcomes[0]!.sourceKey).toBe('hs:62515:contact:210:sql')
  })
})

describe('closed deals through their contacts', () => {
  it('classifies stages from isClosed and probability, over the pipelines API', async () => {
    nock(API).get('/crm/v3/pipelines/deals').reply(200, fixture('pipelines-deals-response.json'))
    const stages = classifyDealStages(await reads.dealPipelines())
    expect(Object.fromEntries(stages)).toEqual({
      appointmentscheduled: 'open',
      contractsent: 'open',
      closedwon: 'won',
      closedlost: 'lost',
      '1002': 'won',
      '1003': 'lost',
      '1004': 'open',
    })
  })

  it('gives each associated contact a won or lost outcome at the close date; open deals give none', async () => {
    const scope = nock(API)
      .get('/crm/v3/pipelines/deals')
      .reply(200, fixture('pipelines-deals-response.json'))
      .post(
        '/crm/v3/objects/deals/batch/read',
        (b) => b.inputs.length === 3 && b.properties.includes('dealstage'),
      )
      .reply(200, fixture('deals-batch-read-response.json'))
      .post('/crm/v4/associations/deals/contacts/batch/read', {
        inputs: [{ id: '301' }, { id: '302' }, { id: '303' }],
      })
      .reply(200, fixture('associations-deals-contacts-batch-read.json'))
    const stages = classifyDealStages(await reads.dealPipelines())
    const deals = await reads.batchReadDeals(['301', '302', '303'])
    const contacts = await reads.dealContacts(['301', '302', '303'])
    const outcomes = deals.flatMap((d) => outcomesFromDeal(62515, d, contacts.get(d.id) ?? [], stages))
    expect(scope.isDone()).toBe(true)
    expect(outcomes).toEqual([
      {
        crmId: '201',
        kind: 'won',
        occurredAt: '2026-04-02T10:00:00.000Z',
        sourceKey: 'hs:62515:deal:301:won:201',
      },
      {
        crmId: '202',
        kind: 'won',
        occurredAt: '2026-04-02T10:00:00.000Z',
        sourceKey: 'hs:62515:deal:301:won:202',
      },
      {
        crmId: '203',
        kind: 'lost',
        occurredAt: '2026-04-03T12:00:00.000Z',
        sourceKey: 'hs:62515:deal:302:lost:203',
      },
    ])
  })

  it('a deal in a stage no pipeline lists records nothing rather than guessing', () => {
    const stages = classifyDealStages(fixture('pipelines-deals-response.json').results)
    expect(
      outcomesFromDeal(
        1,
        { id: '9', properties: { dealstage: 'gone', closedate: '2026-01-01' } },
        ['1'],
        stages,
      ),
    ).toEqual([])
  })
})
