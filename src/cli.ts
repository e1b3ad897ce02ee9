/**
 * The `leadgrid` command line. Offline commands (score, bench) use the same engine as
 * the service; database commands (src/commands/) open the same database the service would
 * (DATABASE_URL or the embedded one under DATA_DIR) or, when a running server holds the embedded
 * database, run inside that server through its control channel.
 */
import { createReadStream, readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { BENCH_USAGE, BenchUsageError, runBenchCommand } from './bench/bench-command.js'
import { CALIBRATE_USAGE, calibrateCommand } from './commands/calibrate-command.js'
import {
  type CommandArgs,
  CommandError,
  type CommandResult,
  type DatabaseCommand,
  describeFailure,
  executeCommand,
  usage,
} from './commands/command-registry.js'
import { controlSocketOf, sendCommand } from './commands/control-channel.js'
import { databaseCommands } from './commands/database-commands.js'
import { OUTCOMES_USAGE } from './commands/outcomes-command.js'
import { ConfigError, loadConfig } from './config.js'
import { acquireDataDirLock, DataDirInUse, dataDirLockHolder } from './db/data-dir-lock.js'
import { createLogger } from './logger.js'
import { type Runtime, startRuntime } from './runtime.js'
import { compileGrid, gridSchema, scoreOfflineLine, starterGrid } from './scoring/index.js'

const USAGE = `Usage: leadgrid <command> [options]

  migrate                                   apply pending database migrations
  workspace create --name <name> [--json]   create a workspace (Starter grid, API key, tracking key)
  score --grid <file|starter> --input <contacts.jsonl|-> [--now <ISO>]
                                            score contacts offline, one JSON result per input line
  grid export --workspace <id> [--output <file>]
  grid import --workspace <id> --file <grid.json> [--publish]
  rescore --workspace <id>                  rescore every contact of a workspace now
  login-link --workspace <id> [--role admin|viewer] [--as <name>]
                                            print a one-time sign-in link to the settings page
  ${BENCH_USAGE}
${CALIBRATE_USAGE}${OUTCOMES_USAGE}`

function fail(message: string): never {
  return usage(message)
}

async function withRuntime<T>(
  fn: (runtime: Runtime) => Promise<T>,
  options: { migrate?: boolean } = {},
): Promise<T> {
  const config = loadConfig()
  const release = config.embeddedDatabase ? acquireDataDirLock(config.DATA_DIR) : () => {}
  const runtime = await startRuntime(
    config,
    createLogger(config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL),
    { schedule: false, migrate: options.migrate },
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

async function benchCommand(args: string[]): Promise<void> {
  try {
    await runBenchCommand(args)
  } catch (err) {
    if (err instanceof BenchUsageError) fail(err.message)
    throw err
  }
}

const offlineCommands: Record<string, (args: string[]) => Promise<void>> = {
  score: scoreCommand,
  bench: benchCommand,
  calibrate: (args) => calibrateCommand(args, fail),
}

/** `grid export` → the registered command and the rest of argv; `grid nope` → a usage message. */
function findDatabaseCommand(argv: string[]): [DatabaseCommand, string[]] | null {
  const [first, second, ...rest] = argv
  const one = databaseCommands.get(first ?? '')
  if (one) return [one, argv.slice(1)]
  const two = databaseCommands.get(`${first} ${second}`)
  if (two) return [two, rest]
  const subcommands = [...databaseCommands.keys()]
    .filter((name) => name.startsWith(`${first} `))
    .map((name) => name.slice(first!.length + 1))
  if (subcommands.length > 0) fail(`${first} takes: ${subcommands.join(' | ')}`)
  return null
}

/**
 * Runs a database command where the database is: through the running server when it holds the
 * embedded database (control-channel.ts), else in this process, exactly as the server would.
 */
async function runDatabaseCommand(command: DatabaseCommand, argv: string[]): Promise<number> {
  const args = command.parse(argv)
  const config = loadConfig()
  let result: CommandResult | null = null
  if (config.embeddedDatabase) {
    const holder = dataDirLockHolder(config.DATA_DIR)
    if (holder !== null) result = await viaServer(config.DATA_DIR, holder, command.name, args)
  }
  if (!result) {
    try {
      result = await withRuntime(
        (runtime) => executeCommand(command, { deps: runtime.deps, host: { kind: 'local' } }, args),
        { migrate: !command.migratesItself },
      )
    } catch (err) {
      // A server started between our look at the lock and our taking it: ask it instead.
      if (!(err instanceof DataDirInUse)) throw err
      result = await viaServer(config.DATA_DIR, err.pid, command.name, args)
    }
  }
  const output = result.exitCode === 0 && command.deliver ? command.deliver(result, args) : result
  if (output.stdout.length > 0) process.stdout.write(`${output.stdout.join('\n')}\n`)
  if (output.stderr && output.stderr.length > 0) process.stderr.write(`${output.stderr.join('\n')}\n`)
  return result.exitCode
}

async function viaServer(
  dataDir: string,
  pid: number,
  name: string,
  args: CommandArgs,
): Promise<CommandResult> {
  const socket = controlSocketOf(dataDir, pid)
  if (!socket) {
    throw new CommandError(
      `The Leadgrid server (process ${pid}) holds the embedded database in ${dataDir} but does not take commands yet (it may still be starting); try again in a few seconds.`,
    )
  }
  try {
    return await sendCommand(socket, name, args)
  } catch (err) {
    throw new CommandError(
      `The Leadgrid server (process ${pid}) holds the embedded database in ${dataDir} but did not answer (${(err as Error).message}).`,
    )
  }
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(USAGE)
    return name ? 0 : 2
  }
  try {
    const offline = offlineCommands[name]
    if (offline) {
      await offline(args)
      return 0
    }
    const found = findDatabaseCommand(argv)
    if (!found) {
      process.stderr.write(`Unknown command "${name}".\n\n${USAGE}`)
      return 2
    }
    return await runDatabaseCommand(...found)
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`leadgrid ${name}: ${err.message}\n`)
      return 2
    }
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      process.stderr.write(`leadgrid ${name}: file not found: ${(err as NodeJS.ErrnoException).path}\n`)
      return 2
    }
    const failure = describeFailure(name, err)
    process.stderr.write(`${failure.stderr.join('\n')}\n`)
    return failure.exitCode
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code
})
