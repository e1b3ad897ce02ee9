/**
 * The `leadgrid` command line (SPEC §7). Offline commands (score, bench) use the same engine as
 * the service; database commands open the same database the service would (DATABASE_URL or the
 * embedded one under DATA_DIR, which must not be in use by a running server).
 */
import { createReadStream, readFileSync, writeFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { runIngestBench } from './bench/ingest-bench.js'
import { ConfigError, loadConfig } from './config.js'
import { acquireDataDirLock } from './db/data-dir-lock.js'
import { openDatabase } from './db/database.js'
import { getPublishedGrid } from './db/grid-repository.js'
import { migrate } from './db/migrate.js'
import { markWorkspaceForRescore } from './db/rescore-mark-repository.js'
import { transactionWithRetry } from './db/retry-transaction.js'
import { createGridService } from './grids/grid-service.js'
import { createLogger } from './logger.js'
import { type Runtime, startRuntime } from './runtime.js'
import { compileGrid, gridSchema, runEngineBench, scoreOfflineLine, starterGrid } from './scoring/index.js'
import { createWorkspace } from './workspaces/workspace-service.js'

const USAGE = `Usage: leadgrid <command> [options]

  migrate                                   apply pending database migrations
  workspace create --name <name> [--json]   create a workspace (Starter grid, API key, tracking key)
  score --grid <file|starter> --input <contacts.jsonl|-> [--now <ISO>]
                                            score contacts offline, one JSON result per input line
  grid export --workspace <id> [--output <file>]
  grid import --workspace <id> --file <grid.json> [--publish]
  rescore --workspace <id>                  rescore every contact of a workspace now
  bench engine [--json] [--seconds <n>]     measure the scoring engine on one core
  bench ingest [--json] [--batches <n>]     measure ingestion through the HTTP API and rescoring
`

class UsageError extends Error {}

function fail(message: string): never {
  throw new UsageError(message)
}

async function withRuntime<T>(fn: (runtime: Runtime) => Promise<T>): Promise<T> {
  const config = loadConfig()
  const release = config.embeddedDatabase ? acquireDataDirLock(config.DATA_DIR) : () => {}
  const runtime = await startRuntime(
    config,
    createLogger(config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL),
    {
      schedule: false,
    },
  )
  try {
    return await fn(runtime)
  } finally {
    await runtime.close()
    release()
  }
}

async function readLines(input: string, onLine: (line: string, n: number) => void): Promise<void> {
  const stream = input === '-' ? process.stdin : createReadStream(input, 'utf8')
  let n = 0
  for await (const line of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
    n++
    if (line.trim() !== '') onLine(line, n)
  }
}

async function scoreCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { grid: { type: 'string' }, input: { type: 'string' }, now: { type: 'string' } },
  })
  if (!values.grid) fail('score needs --grid <file|starter>')
  if (!values.input) fail('score needs --input <contacts.jsonl> (or - for standard input)')
  const now = values.now ? Date.parse(values.now) : Date.now()
  if (Number.isNaN(now)) fail(`--now must be an ISO-8601 instant, got "${values.now}"`)
  const definition = values.grid === 'starter' ? starterGrid : JSON.parse(readFileSync(values.grid, 'utf8'))
  const parsed = gridSchema.safeParse(definition)
  if (!parsed.success) {
    fail(
      `the grid in ${values.grid} is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    )
  }
  const compiled = compileGrid(parsed.data)
  const out: string[] = []
  const flush = () => {
    if (out.length) process.stdout.write(`${out.join('\n')}\n`)
    out.length = 0
  }
  await readLines(values.input, (line, n) => {
    let id: unknown = null
    try {
      const json = JSON.parse(line)
      id = json?.id ?? null
      out.push(JSON.stringify(scoreOfflineLine(compiled, json, now)))
    } catch (err) {
      out.push(JSON.stringify({ id, line: n, error: (err as Error).message }))
    }
    if (out.length >= 1000) flush()
  })
  flush()
}

async function workspaceCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args
  if (sub !== 'create') fail('workspace takes: create --name <name> [--json]')
  const { values } = parseArgs({
    args: rest,
    options: { name: { type: 'string' }, json: { type: 'boolean' } },
  })
  if (!values.name?.trim()) fail('workspace create needs --name <name>')
  const created = await withRuntime(({ deps }) =>
    createWorkspace(deps.db, { name: values.name!.trim(), now: deps.clock.now() }),
  )
  if (!values.json) {
    process.stdout.write(
      `Workspace ${created.workspaceId} created with the Starter grid.\nAPI key (shown once, keep it secret): ${created.apiKey}\nTracking key (public): ${created.publicKey}\n`,
    )
  }
  process.stdout.write(`${JSON.stringify(created)}\n`)
}

async function gridCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args
  const { values } = parseArgs({
    args: rest,
    options: {
      workspace: { type: 'string' },
      output: { type: 'string' },
      file: { type: 'string' },
      publish: { type: 'boolean' },
    },
  })
  if (!values.workspace) fail(`grid ${sub ?? ''} needs --workspace <id>`)
  if (sub === 'export') {
    const grid = await withRuntime(({ deps }) => getPublishedGrid(deps.db, values.workspace!))
    if (!grid) fail(`workspace ${values.workspace} has no published grid`)
    const text = `${JSON.stringify(grid.definition, null, 2)}\n`
    if (values.output) writeFileSync(values.output, text)
    else process.stdout.write(text)
  } else if (sub === 'import') {
    if (!values.file) fail('grid import needs --file <grid.json>')
    const definition = JSON.parse(readFileSync(values.file, 'utf8'))
    const row = await withRuntime(async ({ deps }) => {
      const grids = createGridService(deps)
      const draft = await grids.createDraft(values.workspace!, definition, `imported from ${values.file}`)
      return values.publish ? grids.publish(values.workspace!, draft.id) : draft
    })
    process.stdout.write(`${JSON.stringify({ gridId: row.id, version: row.version, status: row.status })}\n`)
  } else {
    fail('grid takes: export | import')
  }
}

async function rescoreCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { workspace: { type: 'string' } } })
  if (!values.workspace) fail('rescore needs --workspace <id>')
  const n = await withRuntime(async ({ deps }) => {
    await transactionWithRetry(deps.db, (trx) => markWorkspaceForRescore(trx, values.workspace!, 'manual'))
    return deps.rescore.rescoreDirty(values.workspace!)
  })
  process.stdout.write(`${JSON.stringify({ workspaceId: values.workspace, rescored: n })}\n`)
}

async function benchCommand(args: string[]): Promise<void> {
  const [target, ...rest] = args
  if (target === 'ingest') {
    const { values } = parseArgs({
      args: rest,
      options: { json: { type: 'boolean' }, batches: { type: 'string' } },
    })
    const result = await runIngestBench({ batches: values.batches ? Number(values.batches) : undefined })
    if (!values.json) {
      process.stdout.write(
        `${result.batches} batches of ${result.eventsPerBatch} events, ${result.concurrency} at a time, ${result.database} database (${result.cpu}, ${result.cores} cores, Node ${result.node}):\n  ${result.eventsPerSecond.toLocaleString('en-US')} events/second stored; batch p50 ${result.p50BatchMs} ms, p95 ${result.p95BatchMs} ms; all ${result.contacts} contacts scored after ${result.secondsUntilAllScored} s\n`,
      )
    }
    process.stdout.write(`${JSON.stringify(result)}\n`)
    return
  }
  if (target !== 'engine')
    fail('bench takes: engine [--json] [--seconds <n>] | ingest [--json] [--batches <n>]')
  const { values } = parseArgs({
    args: rest,
    options: { json: { type: 'boolean' }, seconds: { type: 'string' } },
  })
  const result = await runEngineBench({ seconds: values.seconds ? Number(values.seconds) : undefined })
  if (!values.json) {
    process.stdout.write(
      `Starter grid, ${result.eventsPerContact} events per contact, one core (${result.cpu}, Node ${result.node}):\n  ${Math.round(result.evaluationsPerSecond).toLocaleString('en-US')} evaluations/second\n`,
    )
  }
  process.stdout.write(`${JSON.stringify(result)}\n`)
}

async function migrateCommand(): Promise<void> {
  const config = loadConfig()
  const release = config.embeddedDatabase ? acquireDataDirLock(config.DATA_DIR) : () => {}
  const database = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.embeddedDatabase ? `${config.DATA_DIR}/pg` : undefined,
  })
  try {
    const applied = await migrate(database.db)
    process.stdout.write(`${JSON.stringify({ applied })}\n`)
  } finally {
    await database.close()
    release()
  }
}

const commands: Record<string, (args: string[]) => Promise<void>> = {
  migrate: migrateCommand,
  workspace: workspaceCommand,
  score: scoreCommand,
  grid: gridCommand,
  rescore: rescoreCommand,
  bench: benchCommand,
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(USAGE)
    return name ? 0 : 2
  }
  const command = commands[name]
  if (!command) {
    process.stderr.write(`Unknown command "${name}".\n\n${USAGE}`)
    return 2
  }
  try {
    await command(args)
    return 0
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError) {
      process.stderr.write(`leadgrid ${name}: ${err.message}\n`)
      return 2
    }
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      process.stderr.write(`leadgrid ${name}: file not found: ${(err as NodeJS.ErrnoException).path}\n`)
      return 2
    }
    process.stderr.write(`leadgrid ${name} failed: ${(err as Error).message}\n`)
    return 1
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code
})
