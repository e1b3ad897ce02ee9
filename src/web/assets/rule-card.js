/**
 * One rule of the grid, as a card: label and points always shown; id, group, the conditions or
 * event selectors, counting, window, decay and rationale under "Conditions · Rationale", opened
 * when the server reports a problem inside.
 */
import { ConditionEditor } from './conditions.js'
import { IssuesAt, issuesAt, NumberField, SelectField, setIn, TextField } from './fields.js'
import { html } from './lib/html.js'
import { usePage, useT } from './lib/page-context.js'

/** @typedef {import('./lib/types.js').Issue} Issue */
/** @typedef {'fit' | 'engagement' | 'frequency' | 'streak' | 'inactivity'} RuleKind */

/** @type {RuleKind[]} */
export const KINDS = ['fit', 'engagement', 'frequency', 'streak', 'inactivity']

/**
 * A new rule of this kind that already passes the schema, numbered after the existing ones.
 * @param {RuleKind} kind
 * @param {number} n
 */
export function newRule(kind, n) {
  const base = { id: `rule-${n}`, label: `New ${kind} rule`, kind, points: kind === 'inactivity' ? -10 : 10 }
  if (kind === 'fit') return { ...base, when: { property: 'country', op: 'eq', value: 'France' } }
  if (kind === 'engagement') return { ...base, events: { types: ['page.viewed'] }, per: 'occurrence' }
  if (kind === 'frequency')
    return { ...base, events: { types: ['page.viewed'] }, atLeast: 3, withinDays: 2, per: 'occurrence' }
  if (kind === 'streak') return { ...base, length: 3, category: 'newsletter' }
  return { ...base, days: 30 }
}

/**
 * @typedef {object} PartProps
 * @property {any} rule
 * @property {string} path the rule's path: `rules.3`
 * @property {(value: any) => void} onChange the new value of the part edited
 * @property {Issue[]} issues
 */

/** One event selector: its types as checkboxes, and an optional condition on the events' attributes. */
function SelectorEditor(
  /** @type {{ sel: any, path: string, legend: string, issues: Issue[], set: (s: any) => void }} */ props,
) {
  const { sel, path: p, legend, issues, set } = props
  const { t, vocabulary } = usePage()
  const types = sel.types ?? []
  return html`<legend>${legend}</legend>
    <fieldset class="types">
      <legend>${t('Event types')}</legend>
      ${vocabulary.eventTypes.map(
        (type) => html`<label class="check"><input type="checkbox" checked=${sel.types?.includes(type)}
          onChange=${(e) => set({ ...sel, types: e.currentTarget.checked ? [...types, type] : types.filter((x) => x !== type) })} />
          ${type}</label>`,
      )}
      <${IssuesAt} issues=${issues} path=${`${p}.types`} deep=${true} />
    </fieldset>
    ${
      sel.where
        ? html`<div><p class="sub">${t('Only events where')}</p>
          <${ConditionEditor} node=${sel.where} path=${`${p}.where`} keyName="attribute" issues=${issues}
            onChange=${(c) => set({ ...sel, where: c })} />
          <button type="button" class="link" onClick=${() => set({ types: sel.types })}>${t('Remove the condition')}</button></div>`
        : html`<button type="button" onClick=${() => set({ ...sel, where: { attribute: 'url.path', op: 'contains', value: 'pricing' } })}>
          ${t('Add a condition on attributes')}</button>`
    }`
}

/** The rule's events: one selector, or a list of them once a second is added. */
function EventsEditor(/** @type {PartProps} */ { rule, path, onChange, issues }) {
  const t = useT()
  const wasList = Array.isArray(rule.events)
  /** @type {any[]} */
  const list = wasList ? rule.events : [rule.events ?? { types: [] }]
  const save = (/** @type {any[]} */ next) => onChange(wasList || next.length > 1 ? next : next[0])
  return html`<div class="events">
    <${IssuesAt} issues=${issues} path=${`${path}.events`} />
    ${list.map(
      (sel, i) => html`<fieldset class="selector">
        <${SelectorEditor} sel=${sel} path=${wasList ? `${path}.events.${i}` : `${path}.events`} issues=${issues}
          legend=${`${t('Events')} ${list.length > 1 ? i + 1 : ''}`} set=${(next) => save(list.map((x, j) => (j === i ? next : x)))} />
        ${
          list.length > 1
            ? html`<button type="button" class="link" onClick=${() => save(list.filter((_, j) => j !== i))}>${t('Remove this selector')}</button>`
            : null
        }
      </fieldset>`,
    )}
    <button type="button" onClick=${() => onChange([...list, { types: ['form.submitted'] }])}>${t('Add another event selector')}</button>
  </div>`
}

/** How events are counted: each occurrence, each day, or each distinct value of a key. */
function PerEditor(/** @type {PartProps} */ { rule, path, onChange, issues }) {
  const t = useT()
  const per = rule.per ?? 'occurrence'
  const mode = typeof per === 'object' ? 'distinct' : per
  return html`<div class="pair">
    <${SelectField} label=${t('Count')} path=${`${path}.per`} value=${mode} issues=${issues}
      options=${[['occurrence', t('each occurrence')], ['day', t('each day')], ['distinct', t('each distinct value of')]]}
      onChange=${(m) => onChange(m === 'distinct' ? { distinct: 'asset' } : m)} />
    ${
      mode === 'distinct'
        ? html`<${TextField} label=${t('Distinct key')} path=${`${path}.per.distinct`} value=${per.distinct} issues=${issues}
          onChange=${(v) => onChange({ distinct: v ?? '' })} />`
        : null
    }
  </div>`
}

/** The fields only some kinds have: conditions, events and counting, window, streak, inactivity. */
function KindFields(/** @type {Omit<PartProps, 'onChange'> & { onChange: (rule: any) => void }} */ props) {
  const { rule, path, onChange, issues } = props
  const { t, vocabulary } = usePage()
  const set = (/** @type {string} */ key) => (/** @type {unknown} */ value) =>
    onChange(setIn(rule, [key], value))
  /** @param {string} key @param {string} label @param {boolean} optional @param {string} [step] */
  const num = (key, label, optional, step) =>
    html`<${NumberField} label=${label} path=${`${path}.${key}`} value=${rule[key]} issues=${issues} optional=${optional}
      step=${step} onChange=${set(key)} />`
  const { kind } = rule
  return html`${
    kind === 'fit'
      ? html`<${ConditionEditor} node=${rule.when} path=${`${path}.when`} keyName="property" issues=${issues}
        onChange=${set('when')} />`
      : null
  }
  ${
    kind === 'engagement' || kind === 'frequency'
      ? html`<${EventsEditor} rule=${rule} path=${path} onChange=${set('events')} issues=${issues} />
        <${PerEditor} rule=${rule} path=${path} onChange=${set('per')} issues=${issues} />`
      : null
  }
  ${
    kind === 'engagement'
      ? html`<div class="grid-3">${num('maxCount', t('Max count'), true, '1')}${num('withinDays', t('Window (days)'), true)}${num('halfLifeDays', t('Decay half-life (days)'), true)}</div>`
      : null
  }
  ${
    kind === 'frequency'
      ? html`<div class="grid-2">${num('atLeast', t('At least'), false, '1')}${num('withinDays', t('Window (days)'), false)}</div>`
      : null
  }
  ${
    kind === 'streak'
      ? html`<div class="grid-2">${num('length', t('Streak length'), false, '1')}
        <${SelectField} label=${t('Email category')} path=${`${path}.category`} value=${rule.category ?? ''} issues=${issues}
          options=${[['', t('any')], ...vocabulary.emailCategories.map((c) => [c, c])]}
          onChange=${(v) => onChange(setIn(rule, ['category'], v || undefined))} /></div>`
      : null
  }
  ${kind === 'inactivity' ? num('days', t('Days without activity'), false) : null}`
}

/**
 * @typedef {object} RuleCardProps
 * @property {any} rule
 * @property {number} index
 * @property {(rule: any) => void} onChange
 * @property {() => void} onRemove
 * @property {Issue[]} issues
 * @property {{ id: string, label?: string }[]} groups the grid's groups, for the rule's group select
 */

/** @param {RuleCardProps} props */
export function RuleCard({ rule, index, onChange, onRemove, issues, groups }) {
  const t = useT()
  const path = `rules.${index}`
  const set = (/** @type {string} */ key) => (/** @type {unknown} */ value) =>
    onChange(setIn(rule, [key], value))
  const deepCount = issuesAt(issues, path, true).length
  return html`<li class=${`rule${deepCount ? ' has-issues' : ''}`} data-rule-id=${rule.id}>
    <div class="rule-head">
      <span class=${`kind kind-${rule.kind}`}>${t(rule.kind)}</span>
      <${TextField} label=${t('Label')} path=${`${path}.label`} value=${rule.label} issues=${issues} onChange=${set('label')} />
      <${NumberField} label=${t('Points')} path=${`${path}.points`} value=${rule.points} issues=${issues} onChange=${set('points')} step="1" />
    </div>
    <${IssuesAt} issues=${issues} path=${path} />
    <details open=${deepCount > 0}>
      <summary>${t('Conditions')} · ${t('Rationale (why this rule)')}</summary>
      <div class="rule-body">
        <div class="grid-2">
          <${TextField} label=${t('Id')} path=${`${path}.id`} value=${rule.id} issues=${issues} onChange=${set('id')} />
          <${SelectField} label=${t('Group')} path=${`${path}.group`} value=${rule.group ?? ''} issues=${issues}
            options=${[['', t('(none)')], ...groups.map((g) => [g.id, g.label || g.id])]}
            onChange=${(v) => onChange(setIn(rule, ['group'], v || undefined))} />
        </div>
        <${KindFields} rule=${rule} path=${path} onChange=${onChange} issues=${issues} />
        <${TextField} label=${t('Rationale (why this rule)')} path=${`${path}.description`} value=${rule.description}
          issues=${issues} optional=${true} multiline=${true} onChange=${set('description')} />
        <button type="button" class="danger" onClick=${onRemove}>${t('Remove rule {label}', { label: rule.label })}</button>
      </div>
    </details>
  </li>`
}
