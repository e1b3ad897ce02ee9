/**
 * Form fields bound to a path of the grid document, each showing beside it the validation issues
 * the server's zod schema reported for that path (`rules.3.points`, `thresholds.hot`…).
 */
import { html } from './lib/html.js'

/** @typedef {import('./lib/types.js').Issue} Issue */
/** @typedef {import('preact').ComponentChildren} Children */

/** @param {string} path */
export const idOf = (path) => `f-${path.replace(/[^A-Za-z0-9_-]/g, '-')}`

/**
 * Issues for exactly this path, or (deep) for this path and everything under it.
 * @param {Issue[]} issues
 * @param {string} path
 */
export function issuesAt(issues, path, deep = false) {
  return issues.filter((i) => i.path === path || (deep && i.path.startsWith(`${path}.`)))
}

/**
 * Immutable set: returns a copy of `obj` with `path` (array of keys) set to `value` (undefined deletes).
 * @param {any} obj
 * @param {(string | number)[]} path
 * @param {unknown} value
 * @returns {any}
 */
export function setIn(obj, path, value) {
  if (path.length === 0) return value
  const [head, ...rest] = /** @type {[string | number, ...(string | number)[]]} */ (path)
  const copy = Array.isArray(obj) ? [...obj] : { ...(obj ?? {}) }
  const next = setIn(copy[/** @type {any} */ (head)], rest, value)
  if (next === undefined && !Array.isArray(copy)) delete copy[head]
  else copy[/** @type {any} */ (head)] = next
  return copy
}

/** @param {{ list: Issue[], id: string }} props */
export function Issues({ list, id }) {
  if (!list.length) return null
  return html`<ul class="issues" id=${id}>${list.map((i) => html`<li>${i.message}</li>`)}</ul>`
}

/**
 * The issues at one path (deep: and under it), listed as `<path>-issues` — the id a field's
 * aria-describedby names.
 * @param {{ issues: Issue[], path: string, deep?: boolean }} props
 */
export function IssuesAt({ issues, path, deep = false }) {
  return html`<${Issues} list=${issuesAt(issues, path, deep)} id=${`${idOf(path)}-issues`} />`
}

/**
 * @typedef {object} FieldProps
 * @property {Children} label
 * @property {string} path
 * @property {Issue[]} issues
 * @property {boolean} [deep] show the issues of everything under `path` too
 * @property {Children} [hint]
 * @property {(id: string, describedBy: string | undefined, invalid: boolean) => Children} children
 */

/** @param {FieldProps} props */
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

/**
 * @typedef {object} CommonProps
 * @property {Children} label
 * @property {string} path
 * @property {Issue[]} issues
 * @property {Children} [hint]
 * @property {boolean} [optional] an empty box means "not set" (undefined)
 */

/**
 * Number input: an empty box is "not set" (undefined); anything not a number is kept as typed, for zod to name.
 * @param {CommonProps & { value: unknown, onChange: (v: unknown) => void, step?: string }} props
 */
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

/**
 * @param {CommonProps & { value: unknown, onChange: (v: string | undefined) => void, multiline?: boolean,
 *   deep?: boolean }} props
 */
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

/**
 * @param {CommonProps & { value: string, onChange: (v: string) => void, options: [string, Children][] }} props
 */
export function SelectField({ label, path, value, onChange, issues, options }) {
  return html`<${Field} label=${label} path=${path} issues=${issues}>
    ${(id, describedBy, invalid) => html`<select id=${id} aria-describedby=${describedBy}
        aria-invalid=${invalid ? 'true' : undefined} onChange=${(e) => onChange(e.currentTarget.value)}>
      ${options.map(([v, text]) => html`<option value=${v} selected=${v === value}>${text}</option>`)}
    </select>`}
  <//>`
}
