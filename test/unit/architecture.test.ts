/**
 * The shape of src/, held as a test: the layer table of docs/architecture.md (read from the doc, so
 * the doc and the rule cannot drift apart), no import circle, SQL only under src/db/, no provider
 * name in the neutral layers, and no function longer than a screen.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  codeWithoutComments,
  functionSizes,
  relativeImports,
  type SourceFile,
  sourceFiles,
} from '../helpers/source-tree.js'

interface Unit {
  /** `db/` (a folder and all below it) or `clock.ts` (one file). */
  pattern: string
  layer: number
}

/** The rows between `<!-- layers -->` and `<!-- /layers -->`: `| 4 | name | \`db/\` … |`. */
function layerTable(): Unit[] {
  const doc = readFileSync(resolve(import.meta.dirname, '../../docs/architecture.md'), 'utf8')
  const block = doc.split('<!-- layers -->')[1]?.split('<!-- /layers -->')[0]
  if (!block) throw new Error('docs/architecture.md has no <!-- layers --> table')
  const units: Unit[] = []
  for (const row of block.split('\n')) {
    const cells = row.split('|').map((c) => c.trim())
    const layer = Number(cells[1])
    if (!Number.isInteger(layer)) continue
    for (const m of (cells[3] ?? '').matchAll(/`([^`]+)`/g)) units.push({ pattern: m[1]!, layer })
  }
  return units
}

/** The most specific unit holding `path`: a file pattern beats its folder, a deeper folder a shallower. */
function unitOf(units: Unit[], path: string): Unit | undefined {
  return units
    .filter((u) => (u.pattern.endsWith('/') ? path.startsWith(u.pattern) : path === u.pattern))
    .sort((a, b) => b.pattern.length - a.pattern.length)[0]
}

function importGraph(files: SourceFile[]): Map<string, string[]> {
  return new Map(files.map((f) => [f.path, relativeImports(f)]))
}

/** Every import that goes to a higher layer, or sideways to another unit of the same layer. */
function layerViolations(units: Unit[], graph: Map<string, string[]>): string[] {
  const violations: string[] = []
  for (const [from, targets] of graph) {
    const a = unitOf(units, from)
    if (!a) continue
    for (const to of targets) {
      const b = unitOf(units, to)
      if (!b || a === b) continue
      if (b.layer > a.layer) violations.push(`${from} → ${to} climbs (layer ${a.layer} → ${b.layer})`)
      else if (b.layer === a.layer)
        violations.push(`${from} → ${to} crosses to a peer (${a.pattern} → ${b.pattern})`)
    }
  }
  return violations
}

/** Strongly connected components of more than one file (Tarjan), each as a sorted list. */
function importCircles(graph: Map<string, string[]>): string[][] {
  let index = 0
  const order = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const circles: string[][] = []
  const connect = (v: string) => {
    order.set(v, index)
    low.set(v, index++)
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue
      if (!order.has(w)) {
        connect(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, order.get(w)!))
    }
    if (low.get(v) === order.get(v)) {
      const component: string[] = []
      let w: string
      do {
        w = stack.pop()!
        onStack.delete(w)
        component.push(w)
      } while (w !== v)
      if (component.length > 1) circles.push(component.sort())
    }
  }
  for (const v of graph.keys()) if (!order.has(v)) connect(v)
  return circles
}

const files = sourceFiles()
const units = layerTable()

describe('the layers of src/', () => {
  it('places every file of src/ in a layer of docs/architecture.md', () => {
    expect(files.filter((f) => !unitOf(units, f.path)).map((f) => f.path)).toEqual([])
  })

  it('has no import that climbs a layer or crosses to a peer', () => {
    expect(layerViolations(units, importGraph(files))).toEqual([])
  })

  it('has no import circle', () => {
    expect(importCircles(importGraph(files))).toEqual([])
  })

  it('catches an import that climbs from db/ to a service', () => {
    const graph = importGraph(files)
    graph.set('db/contact-repository.ts', [
      ...(graph.get('db/contact-repository.ts') ?? []),
      'grids/grid-service.ts',
    ])
    expect(layerViolations(units, graph)).toContain(
      `db/contact-repository.ts → grids/grid-service.ts climbs (layer ${unitOf(units, 'db/x.ts')?.layer} → ${unitOf(units, 'grids/x.ts')?.layer})`,
    )
  })

  it('catches a circle', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ])
    expect(importCircles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts']])
  })
})

/** Query builders and raw SQL: Kysely's statement starters, `sql` templates, a driver's `query()`. */
const SQL =
  /\.\s*(selectFrom|insertInto|updateTable|deleteFrom|replaceInto|mergeInto)\s*\(|\bsql\s*(<[^`]*?>)?\s*`|\.\s*query\s*\(\s*[`'"]/

describe('where SQL lives', () => {
  it('writes every SQL statement under src/db/', () => {
    const outside = files.filter((f) => !f.path.startsWith('db/') && SQL.test(codeWithoutComments(f)))
    expect(outside.map((f) => f.path)).toEqual([])
  })
})

describe('the provider-neutral code', () => {
  /** Everything that serves every CRM alike; only the registry lists the providers. */
  const neutral = (path: string) =>
    (/^crm\/[^/]+\.ts$/.test(path) && path !== 'crm/providers.ts') ||
    path.startsWith('routes/') ||
    /^web\/[^/]+\.ts$/.test(path) ||
    ['runtime.ts', 'services.ts', 'app-deps.ts'].includes(path)

  it('names no CRM provider outside the registry', () => {
    const named = files
      .filter((f) => neutral(f.path))
      .filter((f) => /hubspot|pipedrive/i.test(codeWithoutComments(f)))
      .map((f) => f.path)
    expect(named).toEqual([])
  })
})

describe('the size of functions', () => {
  it('keeps every function of src/ within 80 lines of its own', () => {
    const long = files
      .flatMap(functionSizes)
      .filter((f) => f.ownLines > 80)
      .map((f) => `${f.file}:${f.line} ${f.name} (${f.ownLines} lines)`)
    expect(long).toEqual([])
  })
})
