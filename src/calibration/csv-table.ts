/**
 * Reads a CSV of historical leads into rows of strings (csv-parse): the first line names the
 * columns; a byte-order mark, blank lines and ragged trailing cells are tolerated, as spreadsheet
 * and CRM exports produce them.
 */
import { readFileSync } from 'node:fs'
import { parse } from 'csv-parse/sync'
import type { Row } from './feature-map.js'

export interface CsvTable {
  columns: string[]
  rows: Row[]
}

export class CsvError extends Error {
  override readonly name = 'CsvError'
}

export function parseCsv(text: string): CsvTable {
  let records: string[][]
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: true, trim: false })
  } catch (err) {
    throw new CsvError(`not a readable CSV: ${(err as Error).message}`)
  }
  const header = records[0]
  if (!header) throw new CsvError('the CSV is empty')
  const columns = header.map((c) => c.trim())
  const seen = new Set<string>()
  for (const c of columns) {
    if (c !== '' && seen.has(c)) throw new CsvError(`column "${c}" appears twice in the header`)
    seen.add(c)
  }
  const rows: Row[] = []
  for (let r = 1; r < records.length; r++) {
    const record = records[r]!
    const row: Record<string, string | undefined> = {}
    columns.forEach((c, i) => {
      if (c !== '') row[c] = record[i]
    })
    rows.push(row)
  }
  return { columns: columns.filter((c) => c !== ''), rows }
}

export function readCsvFile(path: string): CsvTable {
  return parseCsv(readFileSync(path, 'utf8'))
}
