/**
 * `leadgrid outcomes import --workspace ID --csv FILE`: historical outcomes from a CSV, one per
 * row, each row validated exactly as `POST /api/v1/outcomes` validates an item. Any bad row stops
 * the import before anything is stored (the rows are named, with their line numbers); a row
 * without a kind is a lead without an outcome and is skipped. Resending the same file stores
 * nothing twice (ids from --id, else from the content).
 */
import { parseArgs } from 'node:util'
import { CsvError, readCsvFile } from '../calibration/csv-table.js'
import { type OutcomeInput, outcomeInputSchema } from '../outcomes/outcome-schemas.js'
import { workspaceExists } from '../workspaces/workspace-service.js'
import { type CommandArgs, CommandError, defineCommand, usage } from './command-registry.js'

export const OUTCOMES_USAGE = `  outcomes import --workspace <id> --csv <file> [--email <col>] [--hubspot-id <col>]
            [--external-id <col>] [--kind <col>] [--occurred-at <col>] [--id <col>]
                                            record historical outcomes (sql, opportunity, won, lost, disqualified)
`

const BATCH = 1000

interface OutcomesImportArgs extends CommandArgs {
  workspace: string
  items: OutcomeInput[]
  skipped: number
}

/**
 * Reads and validates the CSV in the CLI's process (the server never reads a user's file), then
 * stores the rows where the database is — here or in the running server (command-registry.ts).
 */
export const outcomesImportCommand = defineCommand<OutcomesImportArgs>({
  name: 'outcomes import',
  parse(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        workspace: { type: 'string' },
        csv: { type: 'string' },
        email: { type: 'string' },
        'hubspot-id': { type: 'string' },
        'external-id': { type: 'string' },
        kind: { type: 'string', default: 'kind' },
        'occurred-at': { type: 'string', default: 'occurredAt' },
        id: { type: 'string' },
      },
    })
    if (!values.workspace) usage('outcomes import needs --workspace <id>')
    if (!values.csv) usage('outcomes import needs --csv <file>')
    let table: ReturnType<typeof readCsvFile>
    try {
      table = readCsvFile(values.csv)
    } catch (err) {
      if (err instanceof CsvError) throw new CommandError(`${values.csv}: ${err.message}`)
      throw err
    }
    const contactColumns = {
      email: values.email ?? (table.columns.includes('email') ? 'email' : undefined),
      hubspotId: values['hubspot-id'],
      externalId: values['external-id'],
    }
    if (!contactColumns.email && !contactColumns.hubspotId && !contactColumns.externalId)
      usage('say which column names the contact: --email, --hubspot-id or --external-id')
    for (const column of [...Object.values(contactColumns), values.kind, values['occurred-at'], values.id]) {
      if (column !== undefined && !table.columns.includes(column))
        usage(`${values.csv} has no column "${column}" (columns: ${table.columns.join(', ')})`)
    }
    const items: OutcomeInput[] = []
    const errors: string[] = []
    let skipped = 0
    const cell = (row: Record<string, string | undefined>, column: string | undefined) => {
      const v = column === undefined ? undefined : row[column]?.trim()
      return v === '' ? undefined : v
    }
    table.rows.forEach((row, i) => {
      const kind = cell(row, values.kind)
      if (kind === undefined) {
        skipped++
        return
      }
      const parsed = outcomeInputSchema.safeParse({
        id: cell(row, values.id),
        contact: Object.fromEntries(
          Object.entries(contactColumns)
            .map(([key, column]) => [key, cell(row, column)])
            .filter(([, v]) => v !== undefined),
        ),
        kind: kind.toLowerCase(),
        occurredAt: cell(row, values['occurred-at']),
      })
      if (parsed.success) items.push(parsed.data)
      else
        errors.push(
          `line ${i + 2}: ${parsed.error.issues.map((e) => `${e.path.join('.') || 'row'}: ${e.message}`).join('; ')}`,
        )
    })
    if (errors.length > 0) {
      const more = errors.length > 10 ? `\n  … and ${errors.length - 10} more` : ''
      throw new CommandError(
        `nothing was imported; ${errors.length} bad row(s):\n  ${errors.slice(0, 10).join('\n  ')}${more}`,
      )
    }
    return { workspace: values.workspace, items, skipped }
  },
  async run({ deps }, args) {
    if (!(await workspaceExists(deps.db, args.workspace))) {
      throw new CommandError(
        `No workspace ${args.workspace}: check the id (\`leadgrid workspace create\` makes one)`,
      )
    }
    const service = deps.outcomes
    let accepted = 0
    let duplicates = 0
    for (let i = 0; i < args.items.length; i += BATCH) {
      const r = await service.record(args.workspace, args.items.slice(i, i + BATCH), 'csv')
      accepted += r.accepted
      duplicates += r.duplicates
    }
    return {
      stdout: [JSON.stringify({ workspaceId: args.workspace, accepted, duplicates, skipped: args.skipped })],
    }
  },
})
