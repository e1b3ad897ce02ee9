/**
 * The CLI commands that need the database, as `DatabaseCommand`s: each parses its
 * arguments in the CLI's process (reading local files there) and runs against whichever database
 * handle it is given — the CLI's own, or the running server's (see command-registry.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { getPublishedGrid } from '../db/grid-repository.js'
import { migrate } from '../db/migrate.js'
import { publishApprovalRequired } from '../db/publish-request-repository.js'
import { startWorkspaceRescore } from '../db/rescore-chunk-repository.js'
import { transactionWithRetry } from '../db/retry-transaction.js'
import { type AppRole, createLoginLink } from '../sessions/login-links.js'
import { createWorkspace, workspaceExists } from '../workspaces/workspace-service.js'
import {
  type CommandContext,
  CommandError,
  type DatabaseCommand,
  defineCommand,
  usage,
} from './command-registry.js'
import { outcomesImportCommand } from './outcomes-command.js'

async function requireWorkspace({ deps }: CommandContext, workspaceId: string): Promise<void> {
  if (!(await workspaceExists(deps.db, workspaceId))) {
    throw new CommandError(
      `No workspace ${workspaceId}: a workspace id is a UUID such as 5b0c2f1e-8d3a-4c55-9a0e-2f6b1c7d9e10, printed by \`leadgrid workspace create\` (and by \`npm start\` for the demo workspace).`,
    )
  }
}

function readJsonFile(file: string, what: string): unknown {
  const text = readFileSync(file, 'utf8')
  try {
    return JSON.parse(text)
  } catch (err) {
    usage(`${file} is not valid JSON (${(err as Error).message}); ${what}`)
  }
}

const migrateCommand = defineCommand({
  name: 'migrate',
  migratesItself: true,
  parse: () => ({}),
  async run({ deps, host }) {
    const applied = await migrate(deps.db)
    const stderr =
      host.kind === 'server' && applied.length === 0
        ? [
            `The running server (process ${host.pid}) applied the migrations when it started; none was pending.`,
          ]
        : []
    return { stdout: [JSON.stringify({ applied })], stderr }
  },
})

const workspaceCreateCommand = defineCommand({
  name: 'workspace create',
  parse(argv) {
    const { values } = parseArgs({
      args: argv,
      options: { name: { type: 'string' }, json: { type: 'boolean' } },
    })
    const name = values.name?.trim()
    if (!name) usage('workspace create needs --name <name>')
    return { name, json: values.json ?? false }
  },
  async run({ deps }, args) {
    const created = await createWorkspace(deps.db, { name: args.name, now: deps.clock.now() })
    const human = args.json
      ? []
      : [
          `Workspace ${created.workspaceId} created with the Starter grid.`,
          `API key (shown once, keep it secret): ${created.apiKey}`,
          `Tracking key (public): ${created.publicKey}`,
        ]
    return { stdout: [...human, JSON.stringify(created)] }
  },
})

const gridExportCommand = defineCommand({
  name: 'grid export',
  parse(argv) {
    const { values } = parseArgs({
      args: argv,
      options: { workspace: { type: 'string' }, output: { type: 'string' } },
    })
    if (!values.workspace) usage('grid export needs --workspace <id>')
    return { workspace: values.workspace, output: values.output ?? null }
  },
  async run(context, args) {
    await requireWorkspace(context, args.workspace)
    const grid = await getPublishedGrid(context.deps.db, args.workspace)
    if (!grid) throw new CommandError(`Workspace ${args.workspace} has no published grid.`)
    return { stdout: [JSON.stringify(grid.definition, null, 2)] }
  },
  deliver(output, args) {
    if (!args.output) return output
    writeFileSync(args.output, `${output.stdout.join('\n')}\n`)
    return { stdout: [], stderr: [`Grid written to ${args.output}.`] }
  },
})

const gridImportCommand = defineCommand({
  name: 'grid import',
  parse(argv) {
    const { values } = parseArgs({
      args: argv,
      options: { workspace: { type: 'string' }, file: { type: 'string' }, publish: { type: 'boolean' } },
    })
    if (!values.workspace) usage('grid import needs --workspace <id>')
    if (!values.file) usage('grid import needs --file <grid.json>')
    // Read here, in the caller's directory: the server may run elsewhere.
    const definition = readJsonFile(
      values.file,
      'a grid file holds one grid definition, as `grid export` prints it',
    )
    return { workspace: values.workspace, file: values.file, definition, publish: values.publish ?? false }
  },
  async run(context, args) {
    await requireWorkspace(context, args.workspace)
    // Checked before anything is stored: the command line names no admin, so it cannot be one of the
    // two the rule asks for (the API key is refused the same way).
    if (args.publish && (await publishApprovalRequired(context.deps.db, args.workspace)))
      throw new CommandError(
        `Workspace ${args.workspace} requires a second admin's approval to publish (two-person rule). Import without --publish, then publish from the settings page, where another admin approves it.`,
      )
    const { grids } = context.deps
    const draft = await grids.createDraft(args.workspace, args.definition, `imported from ${args.file}`)
    const row = args.publish
      ? (await grids.publish(args.workspace, draft.id, { actor: 'command line (grid import)' })).grid
      : draft
    return { stdout: [JSON.stringify({ gridId: row.id, version: row.version, status: row.status })] }
  },
})

const rescoreCommand = defineCommand({
  name: 'rescore',
  parse(argv) {
    const { values } = parseArgs({ args: argv, options: { workspace: { type: 'string' } } })
    if (!values.workspace) usage('rescore needs --workspace <id>')
    return { workspace: values.workspace }
  },
  async run(context, args) {
    await requireWorkspace(context, args.workspace)
    const { deps } = context
    // Like a publish (ranges or marks), retried on contention (see rescore-chunk-repository).
    await transactionWithRetry(deps.db, (trx) => startWorkspaceRescore(trx, args.workspace, 'manual'))
    const rescored = await deps.rescore.rescoreDirty(args.workspace)
    return { stdout: [JSON.stringify({ workspaceId: args.workspace, rescored })] }
  },
})

const loginLinkCommand = defineCommand({
  name: 'login-link',
  parse(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        workspace: { type: 'string' },
        role: { type: 'string', default: 'admin' },
        // Who signs in, as the audit log names them; the two-person rule tells admins apart by it.
        as: { type: 'string' },
      },
    })
    if (!values.workspace) usage('login-link needs --workspace <id> [--role admin|viewer] [--as <name>]')
    if (values.role !== 'admin' && values.role !== 'viewer') usage('--role is admin or viewer')
    const as = values.as?.trim()
    if (values.as !== undefined && (!as || as.length > 200)) usage('--as is a name of 1 to 200 characters')
    return { workspace: values.workspace, role: values.role, as }
  },
  async run(context, args) {
    await requireWorkspace(context, args.workspace)
    const link = await createLoginLink(context.deps, {
      workspaceId: args.workspace,
      role: args.role as AppRole,
      actor: args.as ?? `${args.role} via command line`,
    })
    return {
      stdout: [link],
      stderr: ['One-time sign-in link for the settings page, valid 15 minutes. Open it in a browser.'],
    }
  },
})

/** Every database command, by name. A new command is one more entry here. */
export const databaseCommands: ReadonlyMap<string, DatabaseCommand> = new Map(
  [
    migrateCommand,
    workspaceCreateCommand,
    gridExportCommand,
    gridImportCommand,
    rescoreCommand,
    outcomesImportCommand,
    loginLinkCommand,
  ].map((c) => [c.name, c]),
)
