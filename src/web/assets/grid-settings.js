/**
 * The grid-wide parts of the editor: groups with their caps and floors, and the settings (name,
 * lookback, bands, grades, MQL threshold and hysteresis, score bounds).
 */
import { IssuesAt, NumberField, setIn, TextField } from './fields.js'
import { html } from './lib/html.js'
import { useT } from './lib/page-context.js'

/**
 * @typedef {object} DraftProps
 * @property {import('./lib/types.js').GridDefinition} draft
 * @property {(draft: import('./lib/types.js').GridDefinition) => void} onChange
 * @property {import('./lib/types.js').Issue[]} issues
 */

/**
 * Rule groups, each with an optional cap and floor on the points its rules add up to.
 * @param {DraftProps} props
 */
export function GroupsEditor({ draft, onChange, issues }) {
  const t = useT()
  /** @type {any[]} */
  const groups = draft.groups ?? []
  const save = (/** @type {any[]} */ next) =>
    onChange(setIn(draft, ['groups'], next.length ? next : undefined))
  return html`<section aria-labelledby="groups-h">
    <h3 id="groups-h">${t('Groups and caps')}</h3>
    ${groups.map(
      (g, i) => html`<div class="group-row">
        <${TextField} label=${t('Id')} path=${`groups.${i}.id`} value=${g.id} issues=${issues}
          onChange=${(v) => save(groups.map((x, j) => (j === i ? { ...x, id: v ?? '' } : x)))} />
        <${TextField} label=${t('Label')} path=${`groups.${i}.label`} value=${g.label} issues=${issues}
          onChange=${(v) => save(groups.map((x, j) => (j === i ? { ...x, label: v ?? '' } : x)))} />
        <${NumberField} label=${t('Cap (max points)')} path=${`groups.${i}.maxPoints`} value=${g.maxPoints} optional=${true} issues=${issues}
          onChange=${(v) => save(groups.map((x, j) => (j === i ? setIn(x, ['maxPoints'], v) : x)))} />
        <${NumberField} label=${t('Floor (min points)')} path=${`groups.${i}.minPoints`} value=${g.minPoints} optional=${true} issues=${issues}
          onChange=${(v) => save(groups.map((x, j) => (j === i ? setIn(x, ['minPoints'], v) : x)))} />
        <${IssuesAt} issues=${issues} path=${`groups.${i}`} />
        <button type="button" class="link" onClick=${() => save(groups.filter((_, j) => j !== i))}>${t('Remove')}</button>
      </div>`,
    )}
    <button type="button" onClick=${() => save([...groups, { id: `group-${groups.length + 1}`, label: `Group ${groups.length + 1}`, maxPoints: 50 }])}>
      ${t('Add a group')}</button>
  </section>`
}

/**
 * The grid's own settings: name, lookback, bands, grades, MQL threshold and hysteresis, bounds.
 * @param {DraftProps} props
 */
export function Settings({ draft, onChange, issues }) {
  const t = useT()
  const num = (/** @type {string[]} */ path, /** @type {string} */ label, optional = false) =>
    html`<${NumberField} label=${label} path=${path.join('.')} value=${path.reduce((o, k) => o?.[k], draft)} optional=${optional}
      issues=${issues} onChange=${(v) => onChange(setIn(draft, path, v))} />`
  return html`<section aria-labelledby="settings-h">
    <h3 id="settings-h">${t('Grid settings')}</h3>
    <div class="grid-2">
      <${TextField} label=${t('Name')} path="name" value=${draft.name} issues=${issues} onChange=${(v) => onChange(setIn(draft, ['name'], v ?? ''))} />
      ${num(['lookbackDays'], t('Lookback (days)'))}
    </div>
    <${TextField} label=${t('Description')} path="description" value=${draft.description} issues=${issues} optional=${true}
      multiline=${true} onChange=${(v) => onChange(setIn(draft, ['description'], v))} />
    <h3>${t('Bands, grades and MQL')}</h3>
    <div class="grid-3">
      ${num(['thresholds', 'warm'], t('Warm threshold'))}${num(['thresholds', 'hot'], t('Hot threshold'))}
      ${num(['mqlThreshold'], t('MQL threshold'))}${num(['mqlHysteresis'], t('MQL hysteresis'))}
      ${num(['grade', 'fitA'], t('Grade A when fit ≥'))}${num(['grade', 'fitB'], t('Grade B when fit ≥'))}
      ${num(['grade', 'engagement1'], t('Grade 1 when engagement ≥'))}${num(['grade', 'engagement2'], t('Grade 2 when engagement ≥'))}
      ${num(['minScore'], t('Minimum score'), true)}${num(['maxScore'], t('Maximum score'), true)}
    </div>
  </section>`
}
