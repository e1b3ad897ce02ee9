/**
 * Realistic sample contacts and events for the demo workspace (first run) and benchmarks.
 * Seeded, so every fresh clone shows the same data.
 */
import type { ContactUpsert, EventInput } from '../events/ingestion-schemas.js'
import { seededRandom } from '../util/seeded-random.js'

const DAY_MS = 86_400_000

const FIRST = [
  'Alice',
  'Bruno',
  'Chloé',
  'David',
  'Emma',
  'Farid',
  'Grace',
  'Hugo',
  'Inès',
  'Jules',
  'Karim',
  'Léa',
  'Marc',
  'Nina',
  'Omar',
  'Paula',
]
const LAST = [
  'Martin',
  'Bernard',
  'Dubois',
  'Smith',
  'Nguyen',
  'Garcia',
  'Müller',
  'Rossi',
  'Petit',
  'Lefèvre',
  'Brown',
  'Moreau',
]
const TITLES = [
  'CEO',
  'Head of Marketing',
  'Marketing Manager',
  'Sales Director',
  'VP Sales',
  'Software Engineer',
  'Intern',
  'Student',
  'Directeur commercial',
  'Responsable marketing',
  'Co-founder',
  'Analyst',
  'Consultant',
  '',
]
const INDUSTRIES = [
  'Computer Software',
  'COMPUTER_SOFTWARE',
  'Information Technology and Services',
  'Internet',
  'Marketing and Advertising',
  'Financial Services',
  'Management Consulting',
  'Retail',
  'Hospital & Health Care',
  'Education',
  'Construction',
  '',
]
const COMPANIES = [
  'Acme',
  'Globex',
  'Initech',
  'Umbrella',
  'Hooli',
  'Stark',
  'Wayne',
  'Soylent',
  'Tyrell',
  'Cyberdyne',
]
const DOMAINS_WORK = ['acme.io', 'globex.com', 'initech.fr', 'hooli.com', 'stark.co', 'tyrell.ai']
const DOMAINS_FREE = ['gmail.com', 'yahoo.fr', 'hotmail.com', 'orange.fr', 'outlook.com']
const PAGES = [
  '/blog/lead-scoring-101',
  '/blog/mql-vs-sql',
  '/pricing',
  '/product',
  '/fr/tarifs',
  '/about',
  '/careers',
  '/docs/getting-started',
  '/products/scoring',
]
const WHITEPAPERS = [
  { assetId: 'wp-grid', assetName: 'Build your scoring grid' },
  { assetId: 'wp-mql', assetName: 'MQL to SQL playbook' },
  { assetId: 'wp-revops', assetName: 'RevOps benchmark 2026' },
]

export interface SampleContact {
  contact: ContactUpsert
  events: EventInput[]
}

export function sampleContacts(count: number, now: Date, seed = 42): SampleContact[] {
  const rnd = seededRandom(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!
  const out: SampleContact[] = []
  for (let i = 0; i < count; i++) {
    const first = pick(FIRST)
    const last = pick(LAST)
    const free = rnd() < 0.3
    const domain = free ? pick(DOMAINS_FREE) : pick(DOMAINS_WORK)
    const email = `${first}.${last}.${i}@${domain}`
      .toLowerCase()
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
    const createdAt = new Date(now.getTime() - Math.floor(rnd() * 120) * DAY_MS - Math.floor(rnd() * DAY_MS))
    const properties: Record<string, string | number> = {
      firstname: first,
      lastname: last,
      company: pick(COMPANIES),
      company_size: pick([5, 12, 40, 60, 150, 800, 5000]),
      jobtitle: pick(TITLES),
      industry: pick(INDUSTRIES),
      country: pick(['France', 'Germany', 'United States', 'Belgium', 'Canada']),
    }
    const ref = { email }
    const events: EventInput[] = []
    const activity = rnd()
    const n = activity < 0.2 ? 0 : Math.floor(rnd() * (activity > 0.8 ? 25 : 8))
    const span = Math.max(1, Math.floor((now.getTime() - createdAt.getTime()) / DAY_MS))
    for (let k = 0; k < n; k++) {
      const at = new Date(
        now.getTime() - Math.floor(rnd() * Math.min(span, 80)) * DAY_MS - Math.floor(rnd() * DAY_MS),
      ).toISOString()
      const r = rnd()
      if (r < 0.55) {
        const path = pick(PAGES)
        events.push({
          contact: ref,
          type: 'page.viewed',
          occurredAt: at,
          attributes: { url: `https://www.example.com${path}`, title: path },
        })
      } else if (r < 0.65) {
        const wp = pick(WHITEPAPERS)
        events.push({
          contact: ref,
          type: 'asset.downloaded',
          occurredAt: at,
          attributes: { ...wp, assetType: 'whitepaper' },
        })
      } else if (r < 0.9) {
        const campaign = `nl-${Math.floor(rnd() * 12)}`
        events.push({
          contact: ref,
          type: 'email.delivered',
          occurredAt: at,
          attributes: { campaignId: campaign, category: 'newsletter' },
        })
        if (rnd() < 0.6) {
          events.push({
            contact: ref,
            type: 'email.opened',
            occurredAt: at,
            attributes: { campaignId: campaign, category: 'newsletter' },
          })
        }
      } else {
        events.push({
          contact: ref,
          type: 'form.submitted',
          occurredAt: at,
          attributes: { formId: 'contact-us', formName: 'Contact us' },
        })
      }
    }
    out.push({ contact: { contact: ref, properties, createdAt: createdAt.toISOString() }, events })
  }
  return out
}
