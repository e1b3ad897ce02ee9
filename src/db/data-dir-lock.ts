/**
 * The embedded database belongs to one process. A lock file under DATA_DIR stops a second server
 * or a CLI command from opening the same files (which would corrupt them); a stale lock left by a
 * killed process is taken over. Taking the lock also makes DATA_DIR private (private-data-dir.ts):
 * every process that opens the embedded files passes here first.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { makeDataDirPrivate } from './private-data-dir.js'

/** Thrown when a live process holds the lock; the CLI then talks to that process instead. */
export class DataDirInUse extends Error {
  override name = 'DataDirInUse'
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `The embedded database in ${dataDir} is in use by process ${pid}. Stop it first, or set DATABASE_URL to share a Postgres server.`,
    )
  }
}

/** The pid of the live process holding DATA_DIR's lock, or null. */
export function dataDirLockHolder(dataDir: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(join(dataDir, 'leadgrid.pid'), 'utf8'), 10)
    return pid && pid !== process.pid && alive(pid) ? pid : null
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export function acquireDataDirLock(dataDir: string): () => void {
  const holder = dataDirLockHolder(dataDir)
  if (holder !== null) throw new DataDirInUse(dataDir, holder)
  const umask = makeDataDirPrivate(dataDir)
  const file = join(dataDir, 'leadgrid.pid')
  writeFileSync(file, String(process.pid), { mode: 0o600 })
  return () => {
    rmSync(file, { force: true })
    // The CLI writes `grid export --output` files after releasing: those keep the user's umask.
    process.umask(umask)
  }
}
