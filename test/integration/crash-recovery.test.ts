/**
 * kill -9 in the middle of a stream of ingests, then restart: every acknowledged event is there
 * exactly once, the sender's retries are deduplicated, and every score is right.
 * Runs the real server as a child process on the same database kind as the suite (embedded PGlite
 * files under a temporary DATA_DIR, or a fresh database on the Postgres server).
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { type DatabaseHandle, openDatabase } from '../../src/db/database.js'
import { migratedDataDir } from '../helpers/data-dir.js'
import { runCli, type ServerProcess, startServerProcess } from '../helpers/server-process.js'
import { createTestDatabase } from '../helpers/test-database.js'

const CONTACTS = 8
const BATCHES = 200
const DAY_MS = 86_400_000

let server: ServerProcess | undefined
let serverDb: DatabaseHandle | undefined
afterAll(async () => {
  server?.child.kill('SIGKILL')
  await serverDb?.close()
})

function batch(i: number, now: number) {
  const email = `buyer${i % CONTACTS}@crash-test.io`
  const at = new Date(now - (1 + (i % 5)) * DAY_MS).toISOString()
  return {
    events: [
      {
        id: `b${i}-wp`,
        contact: { email },
        type: 'asset.downloaded',
        occurredAt: at,
        attributes: { assetId: `wp-${i}`, assetType: 'whitepaper' },
      },
      ...[0, 1, 2].map((k) => ({
        id: `b${i}-v${k}`,
        contact: { email },
        type: 'page.viewed',
        occurredAt: at,
        attributes: { url: `/blog/${i}-${k}` },
      })),
    ],
  }
}

it('loses nothing acknowledged and double-counts nothing across a kill -9', async () => {
  const env: Record<string, string> = { LOG_LEVEL: 'warn', DEMO_DATA: 'false', NODE_ENV: 'test' }
  if (process.env.DATABASE_URL) {
    serverDb = await createTestDatabase()
    env.DATABASE_URL = serverDb.connectionString
  } else {
    env.DATA_DIR = migratedDataDir(mkdtempSync(join(tmpdir(), 'leadgrid-crash-')))
  }
  const created = runCli(['workspace', 'create', '--name', 'Crash test', '--json'], env)
  expect(created.status, created.stderr).toBe(0)
  const { apiKey } = JSON.parse(created.stdout.trim().split('\n').pop()!)
  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }
  const now = Date.now()

  server = await startServerProcess(env)
  const acknowledged = new Set<number>()
  let next = 0
  let killed = false
  const sender = async () => {
    while (next < BATCHES && !killed) {
      const i = next++
      try {
        const r = await fetch(`${server!.baseUrl}/api/v1/events`, {
          method: 'POST',
          headers,
          body: JSON.stringify(batch(i, now)),
        })
        if (r.status === 202) acknowledged.add(i)
      } catch {
        // The server died under this request: not acknowledged, so the sender will retry it.
      }
    }
  }
  const senders = Promise.all([sender(), sender(), sender(), sender()])
  while (acknowledged.size < 30) await new Promise((r) => setTimeout(r, 5))
  server.child.kill('SIGKILL')
  killed = true
  await server.waitForExit()
  await senders
  expect(acknowledged.size).toBeGreaterThanOrEqual(30)

  // Every acknowledged event is stored, exactly once (read straight from the database files).
  const direct = process.env.DATABASE_URL
    ? serverDb!
    : await openDatabase({ dataDir: join(env.DATA_DIR!, 'pg') })
  const stored = await direct.db.selectFrom('events').select('dedupe_key').execute()
  const keys = new Set(stored.map((r) => r.dedupe_key))
  expect(keys.size).toBe(stored.length)
  for (const i of acknowledged) {
    expect(keys.has(`id:b${i}-wp`), `batch ${i} was acknowledged`).toBe(true)
    expect(keys.has(`id:b${i}-v2`), `batch ${i} was acknowledged`).toBe(true)
  }
  if (!process.env.DATABASE_URL) await direct.close()

  // Restart; the sender retries everything it sent (and sends the rest).
  server = await startServerProcess(env)
  let duplicates = 0
  for (let i = 0; i < BATCHES; i++) {
    const r = await fetch(`${server.baseUrl}/api/v1/events`, {
      method: 'POST',
      headers,
      body: JSON.stringify(batch(i, now)),
    })
    expect(r.status).toBe(202)
    duplicates += ((await r.json()) as { duplicates: number }).duplicates
  }
  expect(duplicates).toBeGreaterThanOrEqual(acknowledged.size * 4)

  // Scores converge: each contact downloaded BATCHES / CONTACTS distinct whitepapers, +25 each.
  const expected = (BATCHES / CONTACTS) * 25
  for (let c = 0; c < CONTACTS; c++) {
    let score: { score: number; engagement: number } | null = null
    for (let tries = 0; tries < 150; tries++) {
      const r = await fetch(`${server.baseUrl}/api/v1/contacts/buyer${c}@crash-test.io/score`, { headers })
      const body = (await r.json()) as { score: { score: number; engagement: number } | null }
      score = body.score
      if (score?.engagement === expected) break
      await new Promise((r) => setTimeout(r, 200))
    }
    expect(score?.engagement, `contact ${c}`).toBe(expected)
  }
  server.child.kill('SIGTERM')
  expect(await server.waitForExit()).toBe(0)
  server = undefined
}, 480_000) // two server starts and a CLI run: minutes on a busy machine
