/**
 * The "Starter grid" every new workspace gets (from the seed article), rule for rule.
 * Validated through `gridSchema` at module load, so it is a complete `Grid` (defaults filled in)
 * and a change that breaks the schema fails the first test that imports it.
 */
import { type Grid, type GridInput, gridSchema } from './schema.js'

/** Decision-maker titles, matched as whole words after normalization ("co-founder" = "co founder"). */
export const DECISION_MAKER_WORDS = [
  'manager',
  'head',
  'director',
  'vp',
  'vice president',
  'chief',
  'ceo',
  'cto',
  'cfo',
  'cmo',
  'coo',
  'founder',
  'co-founder',
  'owner',
  'president',
  'partner',
  'directeur',
  'directrice',
  'responsable',
  'gérant',
  'gérante',
  'fondateur',
  'fondatrice',
  'pdg',
  'dg',
]

/** The default priority sectors; RevOps edits them in the settings page. */
export const PRIORITY_SECTORS = [
  'Computer Software',
  'Information Technology and Services',
  'Internet',
  'Marketing and Advertising',
  'Financial Services',
  'Management Consulting',
]

/** URL path segments of pricing and product pages, English and French. */
export const PRICING_SEGMENTS = [
  'pricing',
  'tarifs',
  'tarif',
  'prix',
  'product',
  'products',
  'produit',
  'produits',
]

const starter = {
  name: 'Starter grid',
  description:
    'The default grid from the lead-scoring article: fit on company size, role, sector and email; engagement on whitepapers, pricing pages and newsletters; a penalty after 30 days without activity.',
  lookbackDays: 90,
  thresholds: { warm: 40, hot: 80 },
  grade: { fitA: 15, fitB: 5, engagement1: 50, engagement2: 20 },
  mqlThreshold: 80,
  mqlHysteresis: 10,
  rules: [
    {
      id: 'whitepaper',
      label: 'Whitepapers',
      kind: 'engagement',
      points: 25,
      events: [
        { types: ['asset.downloaded'], where: { attribute: 'assetType', op: 'eq', value: 'whitepaper' } },
        {
          types: ['form.submitted'],
          where: { attribute: 'formName', op: 'matches', value: 'white ?paper|livre blanc' },
        },
      ],
      per: { distinct: 'asset' },
    },
    {
      id: 'pricing-page',
      label: 'Pricing page',
      kind: 'engagement',
      points: 20,
      events: {
        types: ['page.viewed'],
        where: { attribute: 'url.pathSegment', op: 'in', value: PRICING_SEGMENTS },
      },
      per: 'day',
      maxCount: 3,
    },
    {
      id: 'newsletter-streak',
      label: 'Newsletter streak',
      kind: 'streak',
      points: 15,
      length: 3,
      category: 'newsletter',
    },
    {
      id: 'company-size',
      label: 'Company size > 50',
      kind: 'fit',
      points: 10,
      when: { property: 'company_size', op: 'gt', value: 50 },
    },
    {
      id: 'decision-maker',
      label: 'Decision maker',
      kind: 'fit',
      points: 5,
      when: {
        any: [
          { property: 'jobtitle', op: 'containsWord', value: DECISION_MAKER_WORDS },
          { property: 'seniority', op: 'containsWord', value: DECISION_MAKER_WORDS },
        ],
      },
    },
    {
      id: 'non-priority-sector',
      label: 'Non-priority sector',
      kind: 'fit',
      points: -10,
      // isKnown first: an unknown industry is not evidence of a non-priority sector.
      when: {
        all: [
          { property: 'industry', op: 'isKnown' },
          { property: 'industry', op: 'notIn', value: PRIORITY_SECTORS },
        ],
      },
    },
    {
      id: 'personal-email',
      label: 'Personal email',
      kind: 'fit',
      points: -20,
      when: { property: 'email', op: 'isFreeEmail' },
    },
    { id: 'inactive-30-days', label: 'Inactive 30 days', kind: 'inactivity', points: -30, days: 30 },
  ],
} satisfies GridInput

export const starterGrid: Grid = gridSchema.parse(starter)
