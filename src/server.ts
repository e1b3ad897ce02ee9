/**
 * The process entry point (`npm start`): the only file that listens and handles signals.
 * ROLE=all serves HTTP and runs the workers; ROLE=web / ROLE=worker split them across processes.
 */
import { buildApp } from './app.js'
import { type ControlChannel, startControlChannel } from './commands/control-channel.js'
import { databaseCommands } from './commands/database-commands.js'
import { ConfigError, loadConfig } from './config.js'
import { acquireDataDirLock } from './db/data-dir-lock.js'
import { ensureDemoWorkspace } from './demo/demo-workspace.js'
import { createLogger } from './logger.js'
import { startRuntime } from './runtime.js'
import { createLoginLink } from './sessions/login-links.js'
import { startBannerLines } from './start-banner.js'
import { startWorkers } from './workers.js'

/** How long the banner waits for the start's jobs (demo scoring, catch-up) to drain. */
const BANNER_SETTLE_MS = 15_000

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>
  try {
    config = loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`)
      process.exit(1)
    }
    throw err
  }
  const logger = createLogger(config.LOG_LEVEL)
  // Also makes DATA_DIR private (0700/0600, umask 077) before PGlite writes a byte.
  const releaseLock = config.embeddedDatabase ? acquireDataDirLock(config.DATA_DIR) : () => {}
  const runtime = await startRuntime(config, logger)
  const { deps } = runtime
  // The CLI cannot open the embedded database while we hold it: it sends its commands here.
  const control: ControlChannel | null = config.embeddedDatabase
    ? await startControlChannel({
        dataDir: config.DATA_DIR,
        commands: databaseCommands,
        context: { deps, host: { kind: 'server', pid: process.pid } },
        logger,
      })
    : null
  const app = config.ROLE === 'worker' ? null : await buildApp(deps)

  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'shutting down: finishing in-flight requests and jobs')
    const force = setTimeout(() => process.exit(1), 30_000)
    force.unref()
    try {
      await app?.close()
      await control?.close()
      await runtime.close()
      releaseLock()
    } finally {
      process.exit(0)
    }
  }
  process.on('SIGTERM', () => void stop('SIGTERM'))
  process.on('SIGINT', () => void stop('SIGINT'))

  if (config.ROLE !== 'web') await startWorkers(deps)
  if (app) await app.listen({ port: config.PORT, host: config.HOST })

  const demoExpected = config.embeddedDatabase && config.DEMO_DATA
  // The keys are kept in DATA_DIR (0600) when the demo is created, so every start can show them.
  const demo = demoExpected ? await ensureDemoWorkspace(deps) : null
  logger.info(
    { url: config.PUBLIC_URL, role: config.ROLE, demoWorkspaceId: demo?.workspaceId },
    'Leadgrid started',
  )
  if (app) {
    await settle(deps.queue, BANNER_SETTLE_MS)
    if (stopping) return
    // A fresh one-time link each start (15 minutes): the settings page needs no password.
    const settingsSignInLink = demo
      ? await createLoginLink(deps, { workspaceId: demo.workspaceId, role: 'admin', actor: 'demo admin' })
      : undefined
    const lines = startBannerLines({ url: config.PUBLIC_URL, demo, demoExpected, settingsSignInLink })
    process.stderr.write(`${lines.join('\n')}\n`)
  }
}

/**
 * Waits until the jobs queued by the start (the demo's first scoring, the catch-up) are done, so
 * the banner comes after their log lines instead of scrolling away under them; never longer than
 * `maxMs` (a busy queue must not hide the banner).
 */
async function settle(queue: { depth(): Promise<Record<string, number>> }, maxMs: number): Promise<void> {
  const deadline = Date.now() + maxMs
  while (Date.now() < deadline) {
    try {
      const depth = await queue.depth()
      if (Object.values(depth).every((n) => n === 0)) return
    } catch (err) {
      // The banner is a courtesy: a failing depth query is the metrics' business, not the start's.
      void err
      return
    }
    await new Promise((r) => setTimeout(r, 250))
  }
}

main().catch((err) => {
  process.stderr.write(
    `Leadgrid could not start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  )
  process.exit(1)
})
