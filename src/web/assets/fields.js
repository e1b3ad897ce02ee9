/**
 * Form fields bound to a path of the grid document, each showing beside it the validation issues
 * the server's zod schema reported for that path (`rules.3.points`, `thresholds.hot`…).
 */

import htm from 'htm'
import { h } from 'preact'

export const html = htm.bind(h)

export const idOf = (path) => `f-${path.replace(/[^A-Za-z0-9_-]/g, '-')}`

/** Issues for exactly this path, or (deep) for this path and everything under it. */
export function issuesAt(issues, path, deep = false) {
  return issues.filter((i) => i.path === path || (deep && i.path.startsWith(`${path}.`)))
}

/** Immutable set: returns a copy of `obj` with `path` (array of keys) set to `value` (undefined deletes). */
export function setIn(obj, path, value) {
  if (path.length === 0) return value
  const [head, ...rest] = path
  const copy = Array.isArray(obj) ? [...obj] : { ...(obj ?? {}) }
  const next = setIn(copy[head], rest, value)
  if (next === undefined && !Array.isArray(copy)) delete copy[head]
  else copy[head] = next
  return copy
}

export function Issues({ list, id }) {
  if (!list.length) return null
  return html`<ul class="issues" id=${id}>${list.map((i) => html`<li>${i.message}</li>`)}</ul>`
}

function Field({ label, path, issues, deep, children, hint }) {
  const id = idOf(path)
  const list = issuesAt(issues, path, deep)
  return html`<div class=${`field${list.length ? ' invalid' : ''}`}>
    <label for=${id}>${label}</label>
    ${children(id, list.length ? `${id}-issues` : undefined, list.length > 0)}
    ${hint ? html`<small class="hint">${hint}</small>` : null}
    <${Issues} list=${list} id=${`${id}-issues`} />
  </div>`
}

/** Number input: an empty box is "not set" (undefined); anything not a number is kept as typed, for zod to name. */
export function NumberField({ label, path, value, onChange, issues, optional, hint, step = 'any' }) {
  return html`<${Field} label=${label} path=${path} issues=${issues} hint=${hint}>
    ${(id, describedBy, invalid) => html`<input id=${id} type="number" inputmode="decimal" step=${step}
      value=${value ?? ''} aria-describedby=${describedBy} aria-invalid=${invalid ? 'true' : undefined}
      onInput=${(e) => {
        const raw = e.currentTarget.value
        if (raw.trim() === '') return onChange(optional ? undefined : raw)
        const n = Number(raw)
        onChange(Number.isFinite(n) ? n : raw)
      }} />`}
  <//>`
}

export function TextField({ label, path, value, onChange, issues, optional, multiline, hint, deep }) {
  return html`<${Field} label=${label} path=${path} issues=${issues} hint=${hint} deep=${deep}>
    ${(id, describedBy, invalid) => {
      const props = {
        id,
        value: value ?? '',
        'aria-describedby': describedBy,
        'aria-invalid': invalid ? 'true' : undefined,
        onInput: (e) => {
          const v = e.currentTarget.value
          onChange(optional && v === '' ? undefined : v)
        },
      }
      return multiline
        ? html`<textarea rows="3" ...${props}></textarea>`
        : html`<input type="text" ...${props} />`
    }}
  <//>`
}

export function SelectField({ label, path, value, onChange, issues, options }) {
  return html`<${Field} label=${label} path=${path} issues=${issues}>
    ${(id, describedBy, invalid) => html`<select id=${id} aria-describedby=${describedBy}
        aria-invalid=${invalid ? 'true' : undefined} onChange=${(e) => onChange(e.currentTarget.value)}>
      ${options.map(([v, text]) => html`<option value=${v} selected=${v === value}>${text}</option>`)}
    </select>`}
  <//>`
}
