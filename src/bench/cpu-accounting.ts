/**
 * Where a benchmark phase's CPU went, read from Linux's /proc (clock ticks of user + system
 * time): this process (every thread), one thread (`/proc/thread-self`, read by the thread
 * itself), and the local PostgreSQL server's processes. On 2 shared cores the phases are bound
 * by CPU, not by waiting, and these figures say whose (docs/scaling.md). Elsewhere than Linux,
 * or with PostgreSQL on another machine, the figures are null rather than wrong.
 */
import { readdirSync, readFileSync } from 'node:fs'

/** USER_HZ: Linux reports times in 1/100 s on every architecture Node runs on. */
const TICKS_PER_SECOND = 100

function ticksOf(statPath: string): number {
  const stat = readFileSync(statPath, 'utf8')
  // Fields after the command name (which may contain spaces): utime is the 12th, stime the 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(fields[11]) + Number(fields[12])
}

function readOrNull(read: () => number): number | null {
  try {
    return read()
  } catch {
    return null
  }
}

/** CPU seconds used so far by this whole process, every thread included. */
export const processCpuSeconds = () => readOrNull(() => ticksOf('/proc/self/stat') / TICKS_PER_SECOND)

/** CPU seconds used so far by the calling thread alone. */
export const threadCpuSeconds = () => readOrNull(() => ticksOf('/proc/thread-self/stat') / TICKS_PER_SECOND)

/** CPU seconds used so far by this machine's PostgreSQL processes; null when none is found. */
export function postgresCpuSeconds(): number | null {
  return readOrNull(() => {
    let ticks = 0
    let found = false
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue
      try {
        if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('postgres')) continue
        ticks += ticksOf(`/proc/${pid}/stat`)
        found = true
      } catch {
        // The process ended while being read.
      }
    }
    if (!found) throw new Error('no local PostgreSQL')
    return ticks / TICKS_PER_SECOND
  })
}

/** Whether a server connection string names this machine (so its PostgreSQL processes are the ones used). */
export function isLocalServer(connectionString: string): boolean {
  try {
    const host = new URL(connectionString).hostname
    return ['', 'localhost', '127.0.0.1', '[::1]', '::1'].includes(host)
  } catch {
    return false
  }
}

/**
 * A phase's CPU: start it, then `perBatch(n)` gives milliseconds per batch since the start.
 * `server`: the database is a PostgreSQL server on this machine (not embedded, not remote).
 */
export function startCpuAccount(options: { server: boolean }) {
  const postgresNow = () => (options.server ? postgresCpuSeconds() : null)
  const process0 = processCpuSeconds()
  const postgres0 = postgresNow()
  const since = (now: number | null, start: number | null) =>
    now === null || start === null ? null : now - start
  return {
    /** `senderSeconds`: the sender thread's own CPU, counted out of the service's. */
    perBatch(batches: number, senderSeconds: number | null = 0) {
      const msPerBatch = (seconds: number | null) =>
        seconds === null ? null : Math.round((seconds * 100_000) / batches) / 100
      const processSeconds = since(processCpuSeconds(), process0)
      return {
        service: msPerBatch(
          processSeconds === null || senderSeconds === null ? null : processSeconds - senderSeconds,
        ),
        sender: msPerBatch(senderSeconds),
        postgres: msPerBatch(since(postgresNow(), postgres0)),
      }
    },
  }
}
