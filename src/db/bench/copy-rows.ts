/**
 * Bulk loading for the benchmarks' set-up: `COPY … FROM STDIN` (text format) sent through pg's own
 * client as a "submittable" query — pg-copy-streams is not installed, and pg's Connection already
 * speaks the CopyData / CopyDone messages. Where COPY is refused (PGlite's socket server may not
 * relay it), the same rows go as `INSERT … SELECT FROM unnest(…)` in large chunks. The caller is
 * told which method loaded the rows, so the benchmark can say so.
 */
import type pg from 'pg'

export interface LoadColumn {
  name: string
  /** The SQL type, for the unnest fallback's array casts: uuid, text, jsonb, timestamptz, integer, boolean. */
  type: string
}

export type LoadMethod = 'copy' | 'insert-unnest'

export type Cell = string | number | boolean | Date | null | undefined | object

/** One value in COPY's text format: \N for NULL, backslash escapes for the separators. */
export function copyTextCell(value: Cell): string {
  if (value === null || value === undefined) return '\\N'
  const text =
    value instanceof Date
      ? value.toISOString()
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value)
  return text.replace(/[\\\t\n\r]/g, (ch) =>
    ch === '\\' ? '\\\\' : ch === '\t' ? '\\t' : ch === '\n' ? '\\n' : '\\r',
  )
}

export function copyTextRows(rows: Cell[][]): string {
  let out = ''
  for (const row of rows) out += `${row.map(copyTextCell).join('\t')}\n`
  return out
}

/** A pg submittable that runs one COPY FROM STDIN and feeds it `payload`. */
class CopyFromStdin {
  private error: Error | undefined
  constructor(
    private readonly text: string,
    private readonly payload: Buffer,
    private readonly done: (err?: Error) => void,
  ) {}
  submit(connection: { query(text: string): void }) {
    connection.query(this.text)
  }
  handleCopyInResponse(connection: { sendCopyFromChunk(b: Buffer): void; endCopyFrom(): void }) {
    // 1 MB CopyData messages: well under the protocol's limit, few enough to stay cheap.
    for (let i = 0; i < this.payload.length; i += 1 << 20) {
      connection.sendCopyFromChunk(this.payload.subarray(i, i + (1 << 20)))
    }
    connection.endCopyFrom()
  }
  handleCommandComplete() {}
  handleRowDescription() {}
  handleDataRow() {}
  handleEmptyQuery() {}
  handleCopyData() {}
  handleError(err: Error) {
    this.error = err
  }
  handleReadyForQuery() {
    this.done(this.error)
  }
}

async function copyIn(pool: pg.Pool, table: string, columns: LoadColumn[], rows: Cell[][]): Promise<void> {
  const client = await pool.connect()
  try {
    const text = `COPY ${table} (${columns.map((c) => c.name).join(', ')}) FROM STDIN`
    await new Promise<void>((resolve, reject) => {
      const q = new CopyFromStdin(text, Buffer.from(copyTextRows(rows), 'utf8'), (err) =>
        err ? reject(err) : resolve(),
      )
      // pg runs any object with submit() as a query (its "submittable" interface).
      ;(client as unknown as { query(q: unknown): void }).query(q)
    })
  } finally {
    client.release()
  }
}

async function insertUnnest(pool: pg.Pool, table: string, columns: LoadColumn[], rows: Cell[][]) {
  const CHUNK = 5000
  const list = columns.map((c) => c.name).join(', ')
  const arrays = columns.map((c, i) => `$${i + 1}::${c.type}[]`).join(', ')
  const text = `INSERT INTO ${table} (${list}) SELECT * FROM unnest(${arrays})`
  for (let start = 0; start < rows.length; start += CHUNK) {
    const part = rows.slice(start, start + CHUNK)
    const params = columns.map((c, i) =>
      part.map((r) => {
        const v = r[i]
        if (v === null || v === undefined) return null
        if (c.type === 'jsonb') return typeof v === 'string' ? v : JSON.stringify(v)
        return v instanceof Date ? v.toISOString() : v
      }),
    )
    await pool.query(text, params)
  }
}

/**
 * Loads rows into `table`: COPY first; after COPY has been refused once on this pool, the unnest
 * insert. Returns the method that loaded them.
 */
export function createRowLoader(pool: pg.Pool, prefer: LoadMethod = 'copy') {
  let method: LoadMethod = prefer
  let copyRefusal: string | undefined
  return {
    get method() {
      return method
    },
    get copyRefusal() {
      return copyRefusal
    },
    async load(table: string, columns: LoadColumn[], rows: Cell[][]): Promise<LoadMethod> {
      if (rows.length === 0) return method
      if (method === 'copy') {
        try {
          await copyIn(pool, table, columns, rows)
          return 'copy'
        } catch (err) {
          // A refused COPY stores nothing (one statement); fall back for this and later loads.
          copyRefusal = (err as Error).message
          method = 'insert-unnest'
        }
      }
      await insertUnnest(pool, table, columns, rows)
      return method
    },
  }
}
