/**
 * The grid editor: every element of SPEC §4 — settings, bands, grades, MQL threshold and
 * hysteresis, groups and caps, and each rule kind (fit, engagement, frequency, streak, inactivity)
 * with its conditions, counting, window, decay and rationale — without writing JSON. JSON import
 * and export for the rest. Validation comes from the server (the API's own zod schema).
 */
import { useState } from 'preact/hooks'
import { ConditionEditor } from './conditions.js'
import { html, Issues, idOf, issuesAt, NumberField, SelectField, setIn, TextField } from './fields.js'

const KINDS = ['fit', 'engagement', 'frequency', 'streak', 'inactivity']

function newRule(kind, n) {
  const base = { id: `rule-${n}`, label: `New ${kind} rule`, kind, points: kind === 'inactivity' ? -10 : 10 }
  if (kind === 'fit') return { ...base, when: { property: 'country', op: 'eq', value: 'France' } }
  if (kind === 'engagement') return { ...base, events: { types: ['page.viewed'] }, per: 'occurrence' }
  if (kind === 'frequency')
    return { ...base, events: { types: ['page.viewed'] }, atLeast: 3, withinDays: 2, per: 'occurrence' }
  if (kind === 'streak') return { ...base, length: 3, category: 'newsletter' }
  return { ...base, days: 30 }
}

function EventsEditor({ rule, path, onChange, issues, t, vocab }) {
  const wasList = Array.isArray(rule.events)
  const list = wasList ? rule.events : [rule.events ?? { types: [] }]
  const save = (next) => onChange(wasList || next.length > 1 ? next : next[0])
  return html`<div class="events">
    <${Issues} list=${issuesAt(issues, `${path}.events`)} id=${`${idOf(`${path}.events`)}-issues`} />
    ${list.map((sel, i) => {
      const p = wasList ? `${path}.events.${i}` : `${path}.events`
      const set = (next) => save(list.map((x, j) => (j === i ? next : x)))
      return html`<fieldset class="selector">
        <legend>${t('Events')} ${list.length > 1 ? i + 1 : ''}</legend>
        <fieldset class="types">
          <legend>${t('Event types')}</legend>
          ${vocab.eventTypes.map(
            (type) => html`<label class="check"><input type="checkbox" checked=${sel.types?.includes(type)}
              onChange=${(e) => set({ ...sel, types: e.currentTarget.checked ? [...(sel.types ?? []), type] : (sel.types ?? []).filter((x) => x !== type) })} />
              ${type}</label>`,
          )}
          <${Issues} list=${issuesAt(issues, `${p}.types`, true)} id=${`${idOf(`${p}.types`)}-issues`} />
        </fieldset>
        ${
          sel.where
            ? html`<div><p class="sub">${t('Only events where')}</p>
              <${ConditionEditor} node=${sel.where} path=${`${p}.where`} keyName="attribute" issues=${issues} t=${t}
                ops=${vocab.conditionOps} onChange=${(c) => set({ ...sel, where: c })} />
              <button type="button" class="link" onClick=${() => set({ types: sel.types })}>${t('Remove the condition')}</button></div>`
            : html`<button type="button" onClick=${() => set({ ...sel, where: { attribute: 'url.path', op: 'contains', value: 'pricing' } })}>
              ${t('Add a condition on attributes')}</button>`
        }
        ${
          list.length > 1
            ? html`<button type="button" class="link" onClick=${() => save(list.filter((_, j) => j !== i))}>${t('Remove this selector')}</button>`
            : null
        }
      </fieldset>`
    })}
    <button type="button" onClick=${() => onChange([...list, { types: ['form.submitted'] }])}>${t('Add another event selector')}</button>
  </div>`
}

function PerEditor({ rule, path, onChange, issues, t }) {
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

function RuleCard({ rule, index, onChange, onRemove, issues, t, vocab, groups }) {
  const path = `rules.${index}`
  const set = (key) => (value) => onChange(setIn(rule, [key], value))
  const num = (key, label, optional, step) =>
    html`<${NumberField} label=${label} path=${`${path}.${key}`} value=${rule[key]} issues=${issues} optional=${optional}
      step=${step} onChange=${set(key)} />`
  const deepCount = issuesAt(issues, path, true).length
  return html`<li class=${`rule${deepCount ? ' has-issues' : ''}`} data-rule-id=${rule.id}>
    <div class="rule-head">
      <span class=${`kind kind-${rule.kind}`}>${t(rule.kind)}</span>
      <${TextField} label=${t('Label')} path=${`${path}.label`} value=${rule.label} issues=${issues} onChange=${set('label')} />
      <${NumberField} label=${t('Points')} path=${`${path}.points`} value=${rule.points} issues=${issues} onChange=${set('points')} step="1" />
    </div>
    <${Issues} list=${issuesAt(issues, path)} id=${`${idOf(path)}-issues`} />
    <details open=${deepCount > 0}>
      <summary>${t('Conditions')} · ${t('Rationale (why this rule)')}</summary>
      <div class="rule-body">
        <div class="grid-2">
          <${TextField} label=${t('Id')} path=${`${path}.id`} value=${rule.id} issues=${issues} onChange=${set('id')} />
          <${SelectField} label=${t('Group')} path=${`${path}.group`} value=${rule.group ?? ''} issues=${issues}
            options=${[['', t('(none)')], ...groups.map((g) => [g.id, g.label || g.id])]}
            onChange=${(v) => onChange(setIn(rule, ['group'], v || undefined))} />
        </div>
        ${
          rule.kind === 'fit'
            ? html`<${ConditionEditor} node=${rule.when} path=${`${path}.when`} keyName="property" issues=${issues} t=${t}
              ops=${vocab.conditionOps} onChange=${set('when')} />`
            : null
        }
        ${
          rule.kind === 'engagement' || rule.kind === 'frequency'
            ? html`<${EventsEditor} rule=${rule} path=${path} onChange=${set('events')} issues=${issues} t=${t} vocab=${vocab} />
              <${PerEditor} rule=${rule} path=${path} onChange=${set('per')} issues=${issues} t=${t} />`
            : null
        }
        ${
          rule.kind === 'engagement'
            ? html`<div class="grid-3">${num('maxCount', t('Max count'), true, '1')}${num('withinDays', t('Window (days)'), true)}${num('halfLifeDays', t('Decay half-life (days)'), true)}</div>`
            : null
        }
        ${
          rule.kind === 'frequency'
            ? html`<div class="grid-2">${num('atLeast', t('At least'), false, '1')}${num('withinDays', t('Window (days)'), false)}</div>`
            : null
        }
        ${
          rule.kind === 'streak'
            ? html`<div class="grid-2">${num('length', t('Streak length'), false, '1')}
              <${SelectField} label=${t('Email category')} path=${`${path}.category`} value=${rule.category ?? ''} issues=${issues}
                options=${[['', t('any')], ...vocab.emailCategories.map((c) => [c, c])]}
                onChange=${(v) => onChange(setIn(rule, ['category'], v || undefined))} /></div>`
            : null
        }
        ${rule.kind === 'inactivity' ? num('days', t('Days without activity'), false) : null}
        <${TextField} label=${t('Rationale (why this rule)')} path=${`${path}.description`} value=${rule.description}
          issues=${issues} optional=${true} multiline=${true} onChange=${set('description')} />
        <button type="button" class="danger" onClick=${onRemove}>${t('Remove rule {label}', { label: rule.label })}</button>
      </div>
    </details>
  </li>`
}

function GroupsEditor({ draft, onChange, issues, t }) {
  const groups = draft.groups ?? []
  const save = (next) => onChange(setIn(draft, ['groups'], next.length ? next : undefined))
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
        <${Issues} list=${issuesAt(issues, `groups.${i}`)} id=${`${idOf(`groups.${i}`)}-issues`} />
        <button type="button" class="link" onClick=${() => save(groups.filter((_, j) => j !== i))}>${t('Remove')}</button>
      </div>`,
    )}
    <button type="button" onClick=${() => save([...groups, { id: `group-${groups.length + 1}`, label: `Group ${groups.length + 1}`, maxPoints: 50 }])}>
      ${t('Add a group')}</button>
  </section>`
}

function Settings({ draft, onChange, issues, t }) {
  const num = (path, label, optional) =>
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

export function GridEditor({ draft, setDraft, issues, published, readOnly, t, vocab, onReset }) {
  const [kind, setKind] = useState('fit')
  const [importError, setImportError] = useState('')
  const rules = draft.rules ?? []
  const exportJson = () => {
    const blob = new Blob([JSON.stringify(draft, null, 2)], { type: 'application/json' })
    const a = document.createElement('a')
    a.href = URL.createObjectURL(blob)
    a.download = `${(draft.name || 'grid').replace(/[^\w-]+/g, '-').toLowerCase()}.json`
    a.click()
    setTimeout(() => URL.revokeObjectURL(a.href), 1000)
  }
  const importJson = async (e) => {
    const file = e.currentTarget.files?.[0]
    if (!file) return
    try {
      setDraft(JSON.parse(await file.text()))
      setImportError('')
    } catch (err) {
      setImportError(t('The imported file is not JSON: {m}', { m: err.message }))
    }
    e.currentTarget.value = ''
  }
  return html`<div class="editor">
    <div class="toolbar">
      <p class="muted">${t('Published grid')}: <strong>${published?.name}</strong> · ${t('version {v}', { v: published?.version })}</p>
      <button type="button" onClick=${exportJson}>${t('Export JSON')}</button>
      ${
        readOnly
          ? null
          : html`<label class="button" for="import-json">${t('Import JSON')}</label>
            <input id="import-json" class="visually-hidden" type="file" accept="application/json,.json" onChange=${importJson} />
            <button type="button" onClick=${onReset}>${t('Reset to the published grid')}</button>`
      }
    </div>
    ${importError ? html`<p class="error" role="alert">${importError}</p>` : null}
    ${readOnly ? html`<p class="notice">${t('Viewers can read the grid; only admins can edit and publish it.')}</p>` : null}
    <div class="validation" role="status" aria-live="polite">
      ${
        issues.length
          ? html`<details class="issues-summary"><summary>${issues.length === 1 ? t('1 problem to fix before previewing or publishing') : t('{n} problems to fix before previewing or publishing', { n: issues.length })}</summary>
            <ul>${issues.map(
              (i) =>
                html`<li><a href=${`#${idOf(i.path)}`} onClick=${(e) => {
                  e.preventDefault()
                  document.getElementById(idOf(i.path))?.focus()
                }}><code>${i.path || 'grid'}</code></a> ${i.message}</li>`,
            )}</ul></details>`
          : html`<span class="ok">${t('No problem found')}</span>`
      }
    </div>
    <fieldset class="plain" disabled=${readOnly}>
      <legend class="visually-hidden">${t('Grid')}</legend>
      <section aria-labelledby="rules-h">
        <h3 id="rules-h">${t('Rules')} (${rules.length})</h3>
        <ol class="rules">
          ${rules.map(
            (
              rule,
              i,
            ) => html`<${RuleCard} key=${i} rule=${rule} index=${i} issues=${issues} t=${t} vocab=${vocab} groups=${draft.groups ?? []}
              onChange=${(r) => setDraft(setIn(draft, ['rules', i], r))}
              onRemove=${() =>
                setDraft(
                  setIn(
                    draft,
                    ['rules'],
                    rules.filter((_, j) => j !== i),
                  ),
                )} />`,
          )}
        </ol>
        <div class="add-rule">
          <label for="new-rule-kind">${t('Kind of rule')}</label>
          <select id="new-rule-kind" onChange=${(e) => setKind(e.currentTarget.value)}>
            ${KINDS.map((k) => html`<option value=${k} selected=${k === kind}>${t(k)}</option>`)}
          </select>
          <button type="button" onClick=${() => setDraft(setIn(draft, ['rules'], [...rules, newRule(kind, rules.length + 1)]))}>${t('Add a rule')}</button>
        </div>
      </section>
      <${GroupsEditor} draft=${draft} onChange=${setDraft} issues=${issues} t=${t} />
      <${Settings} draft=${draft} onChange=${setDraft} issues=${issues} t=${t} />
    </fieldset>
  </div>`
}
