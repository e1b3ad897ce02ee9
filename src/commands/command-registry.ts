/**
 * Database commands of the `leadgrid` CLI, written once and run in either of two places: in the
 * CLI's own process (it opened the database), or inside the running server, which the CLI reaches
 * over the control channel (control-channel.ts) when the embedded database is in use. A command is
 * a function of (context, parsed arguments) → output lines, so both places run the same code.
 *
 * Adding a command is one entry in `databaseCommands` (database-commands.ts).
 */
import type { AppDeps } from '../app-deps.js'
import { AppError } from '../errors.js'

/** Arguments travel to the server as JSON: plain data only (file contents, not file names). */
export type CommandArgs = Record<string, unknown>

export interface CommandContext {
  deps: AppDeps
  /** Where the command runs: its own process, or the server holding the embedded database. */
  host: { kind: 'local' } | { kind: 'server'; pid: number }
}

export interface CommandOutput {
  /** Lines for standard output (the command's result, often JSON for scripts). */
  stdout: string[]
  /** Lines for standard error (notes for the person typing). */
  stderr?: string[]
}

export interface DatabaseCommand<A extends CommandArgs = CommandArgs> {
  /** The words after `leadgrid`: `migrate`, `grid export`. */
  name: string
  /** Run locally on a database the CLI has not migrated first (`migrate` itself). */
  migratesItself?: boolean
  /** In the CLI's process: argv → arguments, reading any local file the command needs. */
  parse(argv: string[]): A
  run(context: CommandContext, args: A): Promise<CommandOutput>
  /** In the CLI's process, after `run`: e.g. write `--output <file>` rather than print. */
  deliver?(output: CommandOutput, args: A): CommandOutput
}

/** Wrong or missing arguments: the message is shown as is, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}

/** The command could not do its work for a reason the user can act on; exit code 1. */
export class CommandError extends Error {
  override name = 'CommandError'
}

export function usage(message: string): never {
  throw new UsageError(message)
}

/** Type-erases a command for the registry while checking it against its own argument type. */
export function defineCommand<A extends CommandArgs>(command: DatabaseCommand<A>): DatabaseCommand {
  return command as unknown as DatabaseCommand
}

export interface CommandResult extends Required<CommandOutput> {
  /** 0 done, 1 the command failed (a sentence says why), 2 wrong arguments. */
  exitCode: number
}

/**
 * Runs a command and turns every failure into a sentence and an exit code, the same way in the CLI
 * and in the server. Typed service errors (AppError: "The grid is not valid: …", "No grid …") are
 * already written for users; anything else is unexpected and says so.
 */
export async function executeCommand(
  command: DatabaseCommand,
  context: CommandContext,
  args: CommandArgs,
): Promise<CommandResult> {
  try {
    const output = await command.run(context, args)
    return { stdout: output.stdout, stderr: output.stderr ?? [], exitCode: 0 }
  } catch (err) {
    return { stdout: [], ...describeFailure(command.name, err) }
  }
}

export function describeFailure(name: string, err: unknown): { stderr: string[]; exitCode: number } {
  if (err instanceof UsageError) return { stderr: [`leadgrid ${name}: ${err.message}`], exitCode: 2 }
  if (err instanceof CommandError || err instanceof AppError) {
    return { stderr: [`leadgrid ${name}: ${err.message}`], exitCode: 1 }
  }
  const message = err instanceof Error ? err.message : String(err)
  return { stderr: [`leadgrid ${name} failed unexpectedly: ${message}`], exitCode: 1 }
}
