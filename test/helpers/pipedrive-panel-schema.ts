/**
 * A real JSON-schema check of a JSON panel answer against `src/crm/pipedrive/panel-schema.json`, the
 * file uploaded to Pipedrive's Developer Hub. Pipedrive resolves the schema's `#/definitions/…` itself
 * and closes every object (`additionalProperties: false` by default); here those definitions are
 * written from the field table of https://pipedrive.readme.io/docs/json-panels-adding-a-panel
 * ("Fields", and "… in API response" for currency, label, link, tags), and the answer around `data`
 * (`settings`, `external_link`) from its "External links" section. A property whose value is `null`
 * is shown empty (same page), so every definition also takes `null`.
 */
import { readFileSync } from 'node:fs'
import { Ajv, type ErrorObject } from 'ajv'

export const PANEL_SCHEMA_URL = new URL('../../src/crm/pipedrive/panel-schema.json', import.meta.url)

export function panelSchemaFile(): Record<string, unknown> {
  return JSON.parse(readFileSync(PANEL_SCHEMA_URL, 'utf8'))
}

const orNull = (schema: object) => ({ anyOf: [schema, { type: 'null' }] })
const text = { type: 'string' }

/** Pipedrive's field definitions, from the documentation's table of field types. */
export const PANEL_DEFINITIONS = {
  header: orNull(text),
  text: orNull({
    anyOf: [
      text,
      {
        type: 'object',
        required: ['value'],
        additionalProperties: false,
        properties: { markdown: { type: 'boolean' }, value: text },
      },
    ],
  }),
  numerical: orNull({ type: 'number' }),
  date: orNull({ type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' }),
  time: orNull({ type: 'string', pattern: '^\\d{2}:\\d{2}:\\d{2}(Z|[+-]\\d{2}:\\d{2})?$' }),
  'date-time': orNull({
    type: 'string',
    pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$',
  }),
  email: orNull(text),
  phone: orNull(text),
  address: orNull(text),
  link: orNull({
    anyOf: [
      text,
      {
        type: 'object',
        required: ['value', 'external'],
        additionalProperties: false,
        properties: { label: text, value: text, external: { type: 'boolean' } },
      },
    ],
  }),
  currency: orNull({
    type: 'object',
    required: ['code', 'value'],
    additionalProperties: false,
    properties: { code: text, value: { type: 'number' } },
  }),
  label: orNull({
    type: 'object',
    required: ['color', 'label'],
    additionalProperties: false,
    properties: {
      color: { enum: ['green', 'red', 'blue', 'yellow', 'purple', 'grey'] },
      label: text,
    },
  }),
  tags: orNull({ type: 'array', items: text }),
} as const

/** Pipedrive's default: an object of the schema takes only the properties it declares. */
function closed(schema: Record<string, unknown>): Record<string, unknown> {
  if (schema.type === 'array' && schema.items) {
    return { ...schema, items: closed(schema.items as Record<string, unknown>) }
  }
  if (schema.type === 'object') return { additionalProperties: false, ...schema }
  return schema
}

/** The whole answer: `data` as the uploaded schema says, beside the two documented links. */
export function panelAnswerSchema(schema = panelSchemaFile()) {
  return {
    type: 'object',
    required: ['data'],
    additionalProperties: false,
    properties: {
      data: closed(schema),
      settings: {
        type: 'object',
        required: ['url'],
        additionalProperties: false,
        properties: { url: text },
      },
      external_link: {
        type: 'object',
        required: ['url', 'label'],
        additionalProperties: false,
        properties: { url: text, label: text },
      },
    },
    definitions: PANEL_DEFINITIONS,
  }
}

/** The schema's errors for this answer (empty: Pipedrive renders it). */
export function panelAnswerErrors(answer: unknown, schema = panelSchemaFile()): ErrorObject[] {
  const ajv = new Ajv({ allErrors: true, strict: true })
  // Pipedrive's own annotation: the field's label in the panel.
  ajv.addKeyword({ keyword: 'label', schemaType: 'string' })
  const validate = ajv.compile(panelAnswerSchema(schema))
  return validate(answer) ? [] : (validate.errors ?? [])
}
