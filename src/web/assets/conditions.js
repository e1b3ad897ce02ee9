/**
 * The condition tree editor: `all` / `any` / `not` groups and leaf tests with every operator of the
 * grid schema, for profile properties (fit rules) and event attributes (engagement rules).
 */
import { html, Issues, idOf, issuesAt, NumberField, SelectField, TextField } from './fields.js'

const NO_VALUE = new Set(['isKnown', 'isUnknown', 'isFreeEmail'])
const LIST = new Set(['in', 'notIn', 'emailDomainIn'])
const TEXT_OR_LIST = new Set(['contains', 'notContains', 'containsWord', 'startsWith', 'endsWith'])
const NUMBER = new Set(['gt', 'gte', 'lt', 'lte'])

const kindOf = (node) =>
  node && typeof node === 'object'
    ? 'all' in node
      ? 'all'
      : 'any' in node
        ? 'any'
        : 'not' in node
          ? 'not'
          : 'leaf'
    : 'leaf'

/** "a, b" → ["a", "b"]; numbers where the operator compares numbers or values may be numbers. */
function parseList(text, op) {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  return op === 'emailDomainIn' ? items : items.map((s) => (/^-?\d+(\.\d+)?$/.test(s) ? Number(s) : s))
}

const scalar = (text) => (/^-?\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : text)

function defaultValue(op) {
  if (NO_VALUE.has(op)) return undefined
  if (LIST.has(op)) return []
  if (NUMBER.has(op)) return 0
  if (op === 'between') return [0, 100]
  return ''
}

function LeafEditor({ node, path, keyName, onChange, issues, t, ops }) {
  const op = node.op
  const valuePath = `${path}.value`
  let valueEditor = null
  if (LIST.has(op) || TEXT_OR_LIST.has(op)) {
    const shown = Array.isArray(node.value) ? node.value.join(', ') : (node.value ?? '')
    valueEditor = html`<${TextField} label=${t('Values (comma-separated)')} path=${valuePath} value=${shown}
      issues=${issues} deep=${true}
      onChange=${(v) => {
        const list = parseList(v ?? '', op)
        onChange({
          ...node,
          value: LIST.has(op) ? list : list.length === 1 ? String(list[0]) : list.map(String),
        })
      }} />`
  } else if (NUMBER.has(op)) {
    valueEditor = html`<${NumberField} label=${t('Value')} path=${valuePath} value=${node.value} issues=${issues}
      onChange=${(v) => onChange({ ...node, value: v })} />`
  } else if (op === 'between') {
    const [lo, hi] = Array.isArray(node.value) ? node.value : [undefined, undefined]
    valueEditor = html`<div class="pair">
      <${NumberField} label=${t('From')} path=${`${valuePath}.0`} value=${lo} issues=${issues}
        onChange=${(v) => onChange({ ...node, value: [v, hi] })} />
      <${NumberField} label=${t('To')} path=${`${valuePath}.1`} value=${hi} issues=${issues}
        onChange=${(v) => onChange({ ...node, value: [lo, v] })} />
      <${Issues} list=${issuesAt(issues, valuePath)} id=${`${idOf(valuePath)}-issues`} />
    </div>`
  } else if (!NO_VALUE.has(op)) {
    valueEditor = html`<${TextField} label=${t('Value')} path=${valuePath} value=${node.value === undefined ? '' : String(node.value)}
      issues=${issues} onChange=${(v) => onChange({ ...node, value: op === 'matches' ? (v ?? '') : scalar(v ?? '') })} />`
  }
  return html`<div class="leaf">
    <${TextField} label=${keyName === 'property' ? t('Property') : t('Attribute')} path=${`${path}.${keyName}`}
      value=${node[keyName]} issues=${issues} onChange=${(v) => onChange({ ...node, [keyName]: v ?? '' })} />
    <${SelectField} label=${t('Operator')} path=${`${path}.op`} value=${op} issues=${issues}
      options=${ops.map((o) => [o, o])}
      onChange=${(nextOp) => {
        const next = { [keyName]: node[keyName], op: nextOp }
        const keep =
          (LIST.has(op) && LIST.has(nextOp)) ||
          (TEXT_OR_LIST.has(op) && TEXT_OR_LIST.has(nextOp)) ||
          (NUMBER.has(op) && NUMBER.has(nextOp))
        const value = keep ? node.value : defaultValue(nextOp)
        onChange(value === undefined ? next : { ...next, value })
      }} />
    ${valueEditor}
  </div>`
}

export function ConditionEditor({ node, path, keyName, onChange, issues, t, ops, depth = 0 }) {
  const kind = kindOf(node)
  const blankLeaf = () => ({ [keyName]: keyName === 'property' ? 'country' : 'url.path', op: 'isKnown' })
  const changeKind = (next) => {
    if (next === kind) return
    const children = kind === 'all' || kind === 'any' ? node[kind] : kind === 'not' ? [node.not] : [node]
    if (next === 'leaf')
      onChange(kind === 'leaf' ? node : (children.find((c) => kindOf(c) === 'leaf') ?? blankLeaf()))
    else if (next === 'not') onChange({ not: children[0] ?? blankLeaf() })
    else onChange({ [next]: children.length ? children : [blankLeaf()] })
  }
  const list = kind === 'all' || kind === 'any' ? node[kind] : null
  return html`<fieldset class=${`condition depth-${depth % 2}`}>
    <legend>${t('Condition')}</legend>
    <${SelectField} label=${t('Condition')} path=${`${path}.$kind`} value=${kind} issues=${[]}
      options=${[['leaf', t('a test')], ['all', t('all of')], ['any', t('any of')], ['not', t('not')]]}
      onChange=${changeKind} />
    <${Issues} list=${issuesAt(issues, path)} id=${`${idOf(path)}-issues`} />
    ${kind === 'leaf' ? html`<${LeafEditor} node=${node} path=${path} keyName=${keyName} onChange=${onChange} issues=${issues} t=${t} ops=${ops} />` : null}
    ${
      kind === 'not'
        ? html`<${ConditionEditor} node=${node.not} path=${`${path}.not`} keyName=${keyName} issues=${issues} t=${t} ops=${ops}
          depth=${depth + 1} onChange=${(c) => onChange({ not: c })} />`
        : null
    }
    ${
      list
        ? html`<div class="children">
          ${list.map(
            (child, i) => html`<div class="child">
              <${ConditionEditor} node=${child} path=${`${path}.${kind}.${i}`} keyName=${keyName} issues=${issues} t=${t} ops=${ops}
                depth=${depth + 1} onChange=${(c) => onChange({ [kind]: list.map((x, j) => (j === i ? c : x)) })} />
              <button type="button" class="link" onClick=${() => onChange({ [kind]: list.filter((_, j) => j !== i) })}>
                ${t('Remove the condition')}</button>
            </div>`,
          )}
          <button type="button" onClick=${() => onChange({ [kind]: [...list, blankLeaf()] })}>${t('Add')}</button>
        </div>`
        : null
    }
  </fieldset>`
}
