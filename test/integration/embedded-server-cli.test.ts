/**
 * `npm start` in embedded mode, as a newcomer runs it (issue 6, items 7, 8, 13, 14): DATA_DIR is
 * private to the user, the database is reachable by no TCP port, the README's CLI commands work
 * while the server runs (through its control socket), a bad workspace id is a sentence, and the
 * start banner shows the demo workspace's keys.
 */
import { spawn } from 'node:child_process'
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ServerProcess, startServerProcess } from '../helpers/server-process.js'

const dataDir = mkdtempSync(join(tmpdir(), 'leadgrid-embedded-'))
let server: ServerProcess | undefined

/** Runs `leadgrid …` as a child process without blocking this process (the server is ours too). */
function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'warn' },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => {
      stdout += d
    })
    child.stderr.on('data', (d) => {
      stderr += d
    })
    child.on('exit', (status) => resolve({ status, stdout, stderr }))
  })
}

/** Every path under `dir` that group or others may read, write or enter. */
function openToOthers(dir: string): string[] {
  const found: string[] = []
  const walk = (path: string) => {
    const stat = lstatSync(path)
    if (stat.isSymbolicLink()) return
    if ((stat.mode & 0o077) !== 0) found.push(`${(stat.mode & 0o777).toString(8)} ${path}`)
    if (stat.isDirectory()) for (const name of readdirSync(path)) walk(join(path, name))
  }
  walk(dir)
  return found
}

/** TCP ports a process listens on (Linux /proc): its socket inodes matched against LISTEN rows. */
function listeningTcpPorts(pid: number): number[] {
  const inodes = new Set<string>()
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))
      if (m) inodes.add(m[1]!)
    } catch (err) {
      // The descriptor closed between listing and reading: not a listener we could miss.
      void err
    }
  }
  const ports: number[] = []
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/)
      if (cols.length < 10 || cols[3] !== '0A' || !inodes.has(cols[9]!)) continue
      ports.push(Number.parseInt(cols[1]!.split(':')[1]!, 16))
    }
  }
  return ports
}

beforeAll(async () => {
  server = await startServerProcess({ DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'info' }, 180_000)
}, 200_000)

afterAll(async () => {
  if (server && server.child.exitCode === null) {
    server.child.kill('SIGTERM')
    await server.waitForExit()
  }
  rmSync(dataDir, { recursive: true, force: true })
}, 60_000)

describe('embedded mode while `npm start` runs', () => {
  it('keeps DATA_DIR private: nothing readable by group or others', () => {
    expect(openToOthers(dataDir)).toEqual([])
  })

  it('serves the database on no TCP port: the only one listening is HTTP', () => {
    const httpPort = Number(new URL(server!.baseUrl).port)
    expect(listeningTcpPorts(server!.child.pid!)).toEqual([httpPort])
  })

  it('runs the README commands beside the server', { timeout: 240_000 }, async () => {
    const created = await cli(['workspace', 'create', '--name', 'Beside the server', '--json'])
    expect(created.stderr).toBe('')
    expect(created.status).toBe(0)
    const { workspaceId, apiKey } = JSON.parse(created.stdout.trim().split('\n').at(-1)!)

    // The server knows the new workspace: the CLI wrote through the server's own database.
    const grids = await fetch(`${server!.baseUrl}/api/v1/grids`, {
      headers: { authorization: `Bearer ${apiKey}` },
    })
    expect(grids.status).toBe(200)

    const exported = await cli(['grid', 'export', '--workspace', workspaceId])
    expect(exported.status).toBe(0)
    expect(JSON.parse(exported.stdout)).toMatchObject({ name: 'Starter grid' })

    const migrated = await cli(['migrate'])
    expect(migrated.status).toBe(0)
    expect(JSON.parse(migrated.stdout)).toEqual({ applied: [] })
    expect(migrated.stderr).toMatch(/server .* applied the migrations/)

    const rescored = await cli(['rescore', '--workspace', workspaceId])
    expect(rescored.status).toBe(0)
    expect(JSON.parse(rescored.stdout)).toEqual({ workspaceId, rescored: 0 })

    // A sign-in link made beside the server opens the settings page once, as that workspace.
    const link = await cli(['login-link', '--workspace', workspaceId, '--role', 'viewer'])
    expect(link.status).toBe(0)
    const url = new URL(link.stdout.trim())
    expect(url.pathname).toBe('/app/login')
    const signIn = await fetch(`${server!.baseUrl}${url.pathname}${url.search}`, { redirect: 'manual' })
    expect(signIn.status).toBe(303)
    expect(signIn.headers.get('set-cookie')).toMatch(/HttpOnly/i)
    const again = await fetch(`${server!.baseUrl}${url.pathname}${url.search}`, { redirect: 'manual' })
    expect(again.status).toBe(401) // one-time: a used link is refused
  })

  it('names an unknown workspace in a sentence, exit code 1', { timeout: 120_000 }, async () => {
    const r = await cli(['grid', 'export', '--workspace', 'nope'])
    expect(r.status).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/^leadgrid grid export: No workspace nope: a workspace id is a UUID/)
  })

  it('prints a plain banner with the demo workspace, its API key and tracking key', {
    timeout: 120_000,
  }, async () => {
    const deadline = Date.now() + 100_000
    while (!server!.output().includes('demo tracking key') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250))
    }
    const demo = JSON.parse(readFileSync(join(dataDir, 'demo-workspace.json'), 'utf8'))
    expect(server!.output()).toContain(`Leadgrid is running at`)
    expect(server!.output()).toContain(`demo workspace:     ${demo.workspaceId}`)
    expect(server!.output()).toContain(`demo API key:       ${demo.apiKey}`)
    expect(server!.output()).toContain(`demo tracking key:  ${demo.publicKey}`)
    expect(server!.output()).toMatch(/settings page: +http:\/\/\S+\/app\/login\?token=[\w-]{43}/)
    // Written after the demo was created, and still private.
    expect(openToOthers(dataDir)).toEqual([])
  })
})

describe('the CLI on its own (no server running)', () => {
  it('opens the database itself and still names an unknown workspace clearly', {
    timeout: 180_000,
  }, async () => {
    server!.child.kill('SIGTERM')
    await server!.waitForExit()
    const r = await cli(['grid', 'export', '--workspace', 'nope'])
    expect(r.stderr).toMatch(/^leadgrid grid export: No workspace nope/)
    expect(r.status).toBe(1)
    const migrated = await cli(['migrate'])
    expect(migrated.status).toBe(0)
    expect(JSON.parse(migrated.stdout)).toEqual({ applied: [] })
    expect(openToOthers(dataDir)).toEqual([])
  })
})
