/**
 * Reads `src/` as text for the architecture tests: which files there are, which relative imports
 * each makes (static, type-only, re-exports and dynamic `import()` alike), and every function with
 * the lines it owns. Uses the TypeScript compiler's parser only; nothing is compiled or run.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import ts from 'typescript'

export const SRC = resolve(import.meta.dirname, '../../src')

/** Trees under src/ that are separate programs with their own rules (HubSpot's UI project, the page). */
const SEPARATE_PROGRAMS = ['crm/hubspot/project', 'web/assets']

export interface SourceFile {
  /** Path relative to src/, with forward slashes: `db/contact-repository.ts`. */
  path: string
  text: string
}

export function sourceFiles(): SourceFile[] {
  const files: SourceFile[] = []
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name)
      const rel = relative(SRC, full).split('\\').join('/')
      if (SEPARATE_PROGRAMS.includes(rel)) continue
      if (statSync(full).isDirectory()) walk(full)
      else if (/\.(ts|tsx|mts)$/.test(name) && !name.endsWith('.d.ts'))
        files.push({ path: rel, text: readFileSync(full, 'utf8') })
    }
  }
  walk(SRC)
  return files.sort((a, b) => a.path.localeCompare(b.path))
}

/** The files under src/ that `file` imports, as paths relative to src/ (packages are left out). */
export function relativeImports(file: SourceFile): string[] {
  const info = ts.preProcessFile(file.text, true, true)
  const targets = new Set<string>()
  for (const ref of info.importedFiles) {
    if (!ref.fileName.startsWith('.')) continue
    const absolute = resolve(SRC, dirname(file.path), ref.fileName).replace(/\.js$/, '.ts')
    targets.add(relative(SRC, absolute).split('\\').join('/'))
  }
  return [...targets].sort()
}

export interface FunctionSize {
  file: string
  line: number
  name: string
  /** Lines of the function less the lines of the functions nested in it (each counts on its own). */
  ownLines: number
}

export function functionSizes(file: SourceFile): FunctionSize[] {
  const sf = ts.createSourceFile(file.path, file.text, ts.ScriptTarget.Latest, true)
  const lineOf = (pos: number) => sf.getLineAndCharacterOfPosition(pos).line
  const span = (n: ts.Node) => lineOf(n.getEnd()) - lineOf(n.getStart(sf)) + 1
  const sizes: FunctionSize[] = []
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      let nested = 0
      const inner = (n: ts.Node) => {
        if (ts.isFunctionLike(n) && 'body' in n && n.body) nested += span(n)
        else ts.forEachChild(n, inner)
      }
      ts.forEachChild(node, inner)
      sizes.push({
        file: file.path,
        line: lineOf(node.getStart(sf)) + 1,
        name: functionName(node),
        ownLines: span(node) - nested,
      })
    }
    ts.forEachChild(node, visit)
  }
  visit(sf)
  return sizes
}

function functionName(node: ts.SignatureDeclaration): string {
  if (node.name) return node.name.getText()
  const parent = node.parent
  if (parent && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)))
    return parent.name.getText()
  return '(anonymous)'
}

/** The file's code tokens (identifiers, strings, keywords) joined by spaces, comments left out. */
export function codeWithoutComments(file: SourceFile): string {
  const sf = ts.createSourceFile(file.path, file.text, ts.ScriptTarget.Latest, true)
  const tokens: string[] = []
  const visit = (node: ts.Node) => {
    if (ts.isJSDoc(node)) return
    const children = node.getChildren(sf)
    if (children.length === 0) tokens.push(node.getText(sf))
    else for (const child of children) visit(child)
  }
  visit(sf)
  return tokens.join(' ')
}
