/**
 * What every `leadgrid bench …` prints first: the machine and the database it measured on, so a
 * figure is never quoted without them, plus the small helpers the benchmarks share.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { cpus, loadavg, totalmem } from 'node:os'
import { serverVersion } from '../db/bench/probe-repository.js'
import type { DatabaseHandle } from '../db/database.js'

export interface BenchMachine {
  cpu: string
  cores: number
  memoryGiB: number
  node: string
  /** "PostgreSQL 15.20" or "embedded PGlite 0.5.14". */
  database: string
  /** 1-minute load average when the run started: a shared machine shows here. */
  loadAverage: number
}

function pgliteVersion(): string {
  try {
    const require = createRequire(import.meta.url)
    const main = require.resolve('@electric-sql/pglite')
    // The package's own package.json sits above its dist/ folder.
    const pkg = JSON.parse(readFileSync(main.replace(/dist\/.*$/, 'package.json'), 'utf8'))
    return String(pkg.version)
  } catch (err) {
    return `unknown (${(err as Error).message})`
  }
}

/** This machine, with `database` as what the figures were measured on. */
export function localMachine(database: string): BenchMachine {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    database,
    loadAverage: Math.round(loadavg()[0]! * 100) / 100,
  }
}

export async function describeMachine(database: DatabaseHandle): Promise<BenchMachine> {
  return localMachine(
    database.embedded
      ? `embedded PGlite ${pgliteVersion()}`
      : `PostgreSQL ${await serverVersion(database.db)}`,
  )
}

export function machineLine(m: BenchMachine): string {
  return `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.database}, load ${m.loadAverage}`
}

/** Nearest-rank percentile of a list of numbers (sorted here), rounded to 0.1. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return Math.round(sorted[rank]! * 10) / 10
}

export const round = (n: number, digits = 0) => {
  const f = 10 ** digits
  return Math.round(n * f) / f
}

/** Peak resident memory of this process so far, in MB (maxRSS is in KiB on Linux). */
export const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024)

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Polls `probe` until it answers true; false when `timeoutMs` passed first. */
export async function waitFor(probe: () => Promise<boolean>, timeoutMs: number, everyMs = 100) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await probe()) return true
    if (Date.now() > deadline) return false
    await sleep(everyMs)
  }
}
