/**
 * The CLI's way into a running server that holds the embedded database (one process owns PGlite's
 * files, so a second process cannot open them). The server listens on a Unix socket inside the
 * private DATA_DIR (0700 directory, 0600 socket): only the user who owns DATA_DIR can connect, the
 * same boundary as reading the database files. The CLI parses its arguments, sends the command's
 * name and arguments as JSON, and the server runs the same `DatabaseCommand` with its own database
 * handle, answering the output lines and exit code.
 *
 * Where the socket is: `<DATA_DIR>/run/control.json` names it with the server's pid, because a
 * DATA_DIR too deep for a socket address (about 100 bytes) gets a private temporary directory.
 */
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, request } from 'node:http'
import { join, resolve } from 'node:path'
import type { Logger } from 'pino'
import { privateSocketDir } from '../db/embedded-postgres.js'
import {
  type CommandArgs,
  type CommandContext,
  type CommandResult,
  type DatabaseCommand,
  describeFailure,
  executeCommand,
} from './command-registry.js'

const SOCKET_NAME = 'control.sock'
/** Arguments carry file contents (a grid); far above any real grid, far below harm. */
const MAX_REQUEST_BYTES = 10 * 1024 * 1024

interface ControlFile {
  pid: number
  socket: string
}

function controlFile(dataDir: string): string {
  return join(resolve(dataDir), 'run', 'control.json')
}

export interface ControlChannel {
  socketPath: string
  close(): Promise<void>
}

export async function startControlChannel(options: {
  dataDir: string
  commands: ReadonlyMap<string, DatabaseCommand>
  context: CommandContext
  logger: Logger
}): Promise<ControlChannel> {
  const [dir, removeDir] = privateSocketDir(join(resolve(options.dataDir), 'run'), SOCKET_NAME)
  const socketPath = join(dir, SOCKET_NAME)
  // Left by a killed server; this process holds DATA_DIR's lock, so nobody else is listening.
  rmSync(socketPath, { force: true })

  const server = createServer((req, res) => {
    const answer = (status: number, result: CommandResult) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(result))
    }
    if (req.method !== 'POST' || req.url !== '/commands') {
      answer(404, { stdout: [], stderr: ['unknown control request'], exitCode: 2 })
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_REQUEST_BYTES) req.destroy()
      else chunks.push(chunk)
    })
    req.on('end', async () => {
      let name = '?'
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { name: string; args: CommandArgs }
        name = String(body.name)
        const command = options.commands.get(name)
        if (!command) {
          answer(404, {
            stdout: [],
            stderr: [`The server does not know the command "${name}".`],
            exitCode: 2,
          })
          return
        }
        options.logger.info({ command: name }, 'running a command sent by the CLI')
        answer(200, await executeCommand(command, options.context, body.args ?? {}))
      } catch (err) {
        // A malformed request from a CLI of another version: answer, never crash the server.
        answer(400, { stdout: [], ...describeFailure(name, err) })
      }
    })
  })
  await new Promise<void>((ok, fail) => {
    server.once('error', fail)
    server.listen(socketPath, () => ok())
  })
  // The directory already keeps others out; the socket's own mode says the same thing twice.
  chmodSync(socketPath, 0o600)
  const file = controlFile(options.dataDir)
  writeFileSync(file, JSON.stringify({ pid: process.pid, socket: socketPath } satisfies ControlFile), {
    mode: 0o600,
  })
  return {
    socketPath,
    async close() {
      rmSync(file, { force: true })
      await new Promise<void>((ok) => server.close(() => ok()))
      if (removeDir) rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** The socket of the server `pid`, if that server has opened its control channel. */
export function controlSocketOf(dataDir: string, pid: number): string | null {
  try {
    const control = JSON.parse(readFileSync(controlFile(dataDir), 'utf8')) as ControlFile
    return control.pid === pid ? control.socket : null
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
}

/** Sends one command to the server listening on `socketPath` and returns what it ran. */
export function sendCommand(socketPath: string, name: string, args: CommandArgs): Promise<CommandResult> {
  return new Promise((ok, fail) => {
    const req = request(
      { socketPath, path: '/commands', method: 'POST', headers: { 'content-type': 'application/json' } },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          try {
            ok(JSON.parse(Buffer.concat(chunks).toString('utf8')) as CommandResult)
          } catch (err) {
            fail(err)
          }
        })
        res.on('error', fail)
      },
    )
    req.on('error', fail)
    req.end(JSON.stringify({ name, args }))
  })
}
