/**
 * The grid editor: settings, bands, grades, MQL threshold and hysteresis, groups and caps, and each
 * rule kind (fit, engagement, frequency, streak, inactivity) with its conditions, counting, window,
 * decay and rationale — without writing JSON. JSON import and export for the rest. Validation comes
 * from the server (the API's own zod schema).
 */
import { useState } from 'preact/hooks'
import { idOf, setIn } from './fields.js'
import { GroupsEditor, Settings } from './grid-settings.js'
import { messageOf } from './lib/api.js'
import { html } from './lib/html.js'
import { usePage, useT } from './lib/page-context.js'
import { KINDS, newRule, RuleCard } from './rule-card.js'

/** @typedef {import('./lib/types.js').GridDefinition} GridDefinition */
/** @typedef {import('./lib/types.js').GridVersion} GridVersion */
/** @typedef {import('./lib/types.js').Issue} Issue */

/** @param {GridDefinition} draft */
function exportJson(draft) {
  const blob = new Blob([JSON.stringify(draft, null, 2)], { type: 'application/json' })
  const a = document.createElement('a')
  a.href = URL.createObjectURL(blob)
  a.download = `${(draft.name || 'grid').replace(/[^\w-]+/g, '-').toLowerCase()}.json`
  a.click()
  setTimeout(() => URL.revokeObjectURL(a.href), 1000)
}

/**
 * Which grid is published, export, and (admins) import and reset; an import that is not JSON says so.
 * @param {{ draft: GridDefinition, setDraft: (d: GridDefinition) => void, published: GridVersion | null,
 *   onReset: () => void }} props
 */
function Toolbar({ draft, setDraft, published, onReset }) {
  const { t, admin } = usePage()
  const [importError, setImportError] = useState('')
  const importJson = async (/** @type {Event & { currentTarget: HTMLInputElement }} */ e) => {
    const input = e.currentTarget
    const file = input.files?.[0]
    if (!file) return
    try {
      setDraft(JSON.parse(await file.text()))
      setImportError('')
    } catch (err) {
      setImportError(t('The imported file is not JSON: {m}', { m: messageOf(err) }))
    }
    input.value = ''
  }
  return html`<div class="toolbar">
      <p class="muted">${t('Published grid')}: <strong>${published?.name}</strong> · ${t('version {v}', { v: published?.version })}</p>
      <button type="button" onClick=${() => exportJson(draft)}>${t('Export JSON')}</button>
      ${
        admin
          ? html`<label class="button" for="import-json">${t('Import JSON')}</label>
            <input id="import-json" class="visually-hidden" type="file" accept="application/json,.json" onChange=${importJson} />
            <button type="button" onClick=${onReset}>${t('Reset to the published grid')}</button>`
          : null
      }
    </div>
    ${importError ? html`<p class="error" role="alert">${importError}</p>` : null}
    ${admin ? null : html`<p class="notice">${t('Viewers can read the grid; only admins can edit and publish it.')}</p>`}`
}

/** "n problems to fix", each a link to its field; or "No problem found". */
function ValidationSummary(/** @type {{ issues: Issue[] }} */ { issues }) {
  const t = useT()
  return html`<div class="validation" role="status" aria-live="polite">
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
  </div>`
}

/** The rules, each a card, and "add a rule" of a chosen kind. */
function Rules(
  /** @type {{ draft: GridDefinition, setDraft: (d: GridDefinition) => void, issues: Issue[] }} */ props,
) {
  const { draft, setDraft, issues } = props
  const t = useT()
  const [kind, setKind] = useState(KINDS[0])
  /** @type {any[]} */
  const rules = draft.rules ?? []
  return html`<section aria-labelledby="rules-h">
    <h3 id="rules-h">${t('Rules')} (${rules.length})</h3>
    <ol class="rules">
      ${rules.map(
        (
          rule,
          i,
        ) => html`<${RuleCard} key=${i} rule=${rule} index=${i} issues=${issues} groups=${draft.groups ?? []}
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
  </section>`
}

/**
 * @typedef {object} GridEditorProps
 * @property {GridDefinition} draft
 * @property {(draft: GridDefinition) => void} setDraft
 * @property {Issue[]} issues
 * @property {GridVersion | null} published
 * @property {() => void} onReset back to the published grid
 */

/** @param {GridEditorProps} props */
export function GridEditor({ draft, setDraft, issues, published, onReset }) {
  const { t, admin } = usePage()
  return html`<div class="editor">
    <${Toolbar} draft=${draft} setDraft=${setDraft} published=${published} onReset=${onReset} />
    <${ValidationSummary} issues=${issues} />
    <fieldset class="plain" disabled=${!admin}>
      <legend class="visually-hidden">${t('Grid')}</legend>
      <${Rules} draft=${draft} setDraft=${setDraft} issues=${issues} />
      <${GroupsEditor} draft=${draft} onChange=${setDraft} issues=${issues} />
      <${Settings} draft=${draft} onChange=${setDraft} issues=${issues} />
    </fieldset>
  </div>`
}
