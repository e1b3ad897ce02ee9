/**
 * The condition tree editor: `all` / `any` / `not` groups and leaf tests with every operator of the
 * grid schema, for profile properties (fit rules) and event attributes (engagement rules). The
 * operators and what each one's value is come from the session's vocabulary.
 */
import { defaultValue, isList, keepsValue, parseList, scalar, valueKindOf } from './condition-values.js'
import { IssuesAt, NumberField, SelectField, TextField } from './fields.js'
import { html } from './lib/html.js'
import { usePage, useT } from './lib/page-context.js'

/** @typedef {import('./lib/types.js').Issue} Issue */
/** @typedef {'property' | 'attribute'} KeyName */

/**
 * @typedef {object} NodeProps
 * @property {any} node the condition (a leaf test or an all / any / not group)
 * @property {string} path its path in the grid document
 * @property {KeyName} keyName what a leaf tests: a profile property or an event attribute
 * @property {(node: any) => void} onChange
 * @property {Issue[]} issues
 */

/** @returns {'all' | 'any' | 'not' | 'leaf'} */
const kindOf = (/** @type {any} */ node) =>
  node && typeof node === 'object'
    ? 'all' in node
      ? 'all'
      : 'any' in node
        ? 'any'
        : 'not' in node
          ? 'not'
          : 'leaf'
    : 'leaf'

/** The input for a leaf's value, as its operator's value kind wants it (none for isKnown…). */
function ValueEditor(/** @type {Omit<NodeProps, 'keyName'>} */ { node, path, onChange, issues }) {
  const { t, vocabulary } = usePage()
  const kind = valueKindOf(vocabulary.conditionOps, node.op)
  const valuePath = `${path}.value`
  if (isList(kind) || kind === 'textOrList') {
    const shown = Array.isArray(node.value) ? node.value.join(', ') : (node.value ?? '')
    return html`<${TextField} label=${t('Values (comma-separated)')} path=${valuePath} value=${shown}
      issues=${issues} deep=${true}
      onChange=${(v) => {
        const list = parseList(v ?? '', kind)
        onChange({
          ...node,
          value: isList(kind) ? list : list.length === 1 ? String(list[0]) : list.map(String),
        })
      }} />`
  }
  if (kind === 'number')
    return html`<${NumberField} label=${t('Value')} path=${valuePath} value=${node.value} issues=${issues}
      onChange=${(v) => onChange({ ...node, value: v })} />`
  if (kind === 'range') {
    const [lo, hi] = Array.isArray(node.value) ? node.value : [undefined, undefined]
    return html`<div class="pair">
      <${NumberField} label=${t('From')} path=${`${valuePath}.0`} value=${lo} issues=${issues}
        onChange=${(v) => onChange({ ...node, value: [v, hi] })} />
      <${NumberField} label=${t('To')} path=${`${valuePath}.1`} value=${hi} issues=${issues}
        onChange=${(v) => onChange({ ...node, value: [lo, v] })} />
      <${IssuesAt} issues=${issues} path=${valuePath} />
    </div>`
  }
  if (kind === 'none') return null
  return html`<${TextField} label=${t('Value')} path=${valuePath} value=${node.value === undefined ? '' : String(node.value)}
    issues=${issues} onChange=${(v) => onChange({ ...node, value: kind === 'pattern' ? (v ?? '') : scalar(v ?? '') })} />`
}

/** @param {NodeProps} props */
function LeafEditor({ node, path, keyName, onChange, issues }) {
  const { t, vocabulary } = usePage()
  const ops = vocabulary.conditionOps
  const changeOp = (/** @type {string} */ nextOp) => {
    const next = { [keyName]: node[keyName], op: nextOp }
    const nextKind = valueKindOf(ops, nextOp)
    const value = keepsValue(valueKindOf(ops, node.op), nextKind) ? node.value : defaultValue(nextKind)
    onChange(value === undefined ? next : { ...next, value })
  }
  return html`<div class="leaf">
    <${TextField} label=${keyName === 'property' ? t('Property') : t('Attribute')} path=${`${path}.${keyName}`}
      value=${node[keyName]} issues=${issues} onChange=${(v) => onChange({ ...node, [keyName]: v ?? '' })} />
    <${SelectField} label=${t('Operator')} path=${`${path}.op`} value=${node.op} issues=${issues}
      options=${ops.map(({ op }) => [op, op])} onChange=${changeOp} />
    <${ValueEditor} node=${node} path=${path} onChange=${onChange} issues=${issues} />
  </div>`
}

/** The children of an all / any group, each removable, and a button adding a test. */
function GroupChildren(/** @type {NodeProps & { depth: number, blankLeaf: () => object }} */ props) {
  const { node, path, keyName, onChange, issues, depth, blankLeaf } = props
  const t = useT()
  const kind = kindOf(node)
  /** @type {any[]} */
  const list = node[kind]
  return html`<div class="children">
    ${list.map(
      (child, i) => html`<div class="child">
        <${ConditionEditor} node=${child} path=${`${path}.${kind}.${i}`} keyName=${keyName} issues=${issues}
          depth=${depth + 1} onChange=${(c) => onChange({ [kind]: list.map((x, j) => (j === i ? c : x)) })} />
        <button type="button" class="link" onClick=${() => onChange({ [kind]: list.filter((_, j) => j !== i) })}>
          ${t('Remove the condition')}</button>
      </div>`,
    )}
    <button type="button" onClick=${() => onChange({ [kind]: [...list, blankLeaf()] })}>${t('Add')}</button>
  </div>`
}

/** @param {NodeProps & { depth?: number }} props */
export function ConditionEditor({ node, path, keyName, onChange, issues, depth = 0 }) {
  const t = useT()
  const kind = kindOf(node)
  const blankLeaf = () => ({ [keyName]: keyName === 'property' ? 'country' : 'url.path', op: 'isKnown' })
  const changeKind = (/** @type {string} */ next) => {
    if (next === kind) return
    const children = kind === 'all' || kind === 'any' ? node[kind] : kind === 'not' ? [node.not] : [node]
    if (next === 'leaf')
      onChange(kind === 'leaf' ? node : (children.find((c) => kindOf(c) === 'leaf') ?? blankLeaf()))
    else if (next === 'not') onChange({ not: children[0] ?? blankLeaf() })
    else onChange({ [next]: children.length ? children : [blankLeaf()] })
  }
  return html`<fieldset class=${`condition depth-${depth % 2}`}>
    <legend>${t('Condition')}</legend>
    <${SelectField} label=${t('Condition')} path=${`${path}.$kind`} value=${kind} issues=${[]}
      options=${[['leaf', t('a test')], ['all', t('all of')], ['any', t('any of')], ['not', t('not')]]}
      onChange=${changeKind} />
    <${IssuesAt} issues=${issues} path=${path} />
    ${kind === 'leaf' ? html`<${LeafEditor} node=${node} path=${path} keyName=${keyName} onChange=${onChange} issues=${issues} />` : null}
    ${
      kind === 'not'
        ? html`<${ConditionEditor} node=${node.not} path=${`${path}.not`} keyName=${keyName} issues=${issues}
          depth=${depth + 1} onChange=${(c) => onChange({ not: c })} />`
        : null
    }
    ${
      kind === 'all' || kind === 'any'
        ? html`<${GroupChildren} node=${node} path=${path} keyName=${keyName} issues=${issues} depth=${depth}
          onChange=${onChange} blankLeaf=${blankLeaf} />`
        : null
    }
  </fieldset>`
}
