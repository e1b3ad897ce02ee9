/**
 * The embedded database belongs to one process. A lock file under DATA_DIR stops a second server
 * or a CLI command from opening the same files (which would corrupt them); a stale lock left by a
 * killed process is taken over.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export function acquireDataDirLock(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true })
  const file = join(dataDir, 'leadgrid.pid')
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10)
    if (pid && pid !== process.pid && alive(pid)) {
      throw new Error(
        `The embedded database in ${dataDir} is in use by process ${pid}. Stop it first, or set DATABASE_URL to share a Postgres server.`,
      )
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  writeFileSync(file, String(process.pid))
  return () => rmSync(file, { force: true })
}
