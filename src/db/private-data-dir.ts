/**
 * DATA_DIR holds the embedded database, the generated encryption key and the demo keys: it must be
 * readable by this user only. The process's umask is tightened to 077 so every file PGlite and we
 * create later is 0600 (directories 0700) without each writer remembering it, and whatever an
 * older version left readable is tightened once at start.
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

/** Returns the previous umask, for the caller to restore once it no longer writes to DATA_DIR. */
export function makeDataDirPrivate(dataDir: string): number {
  // Before anything is written: PGlite creates its files with the default 0666 & ~umask.
  const previous = process.umask(0o077)
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  tighten(dataDir)
  return previous
}

/**
 * Removes group and other permissions under `path`. PGlite unpacks its initial cluster with mode
 * 0666 whatever the umask (later files it creates 0600 itself), so the embedded database runs this
 * once more after PGlite has opened its directory.
 */
export function tighten(path: string): void {
  const stat = lstatSync(path)
  // A symbolic link's own mode means nothing, and following it could change files elsewhere.
  if (stat.isSymbolicLink()) return
  if (stat.isDirectory()) {
    if ((stat.mode & 0o077) !== 0) chmodSync(path, stat.mode & 0o700)
    for (const name of readdirSync(path)) tighten(join(path, name))
  } else if ((stat.mode & 0o077) !== 0) {
    chmodSync(path, stat.mode & 0o700)
  }
}
