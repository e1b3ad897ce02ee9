/**
 * The process entry point (`npm start`): the only file that listens and handles signals.
 * ROLE=all serves HTTP and runs the workers; ROLE=web / ROLE=worker split them across processes.
 */
import { buildApp } from './app.js'
import { ConfigError, loadConfig } from './config.js'
import { acquireDataDirLock } from './db/data-dir-lock.js'
import { ensureDemoWorkspace } from './demo/demo-workspace.js'
import { startWorkers } from './jobs/workers.js'
import { createLogger } from './logger.js'
import { startRuntime } from './runtime.js'

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
  const releaseLock = config.embeddedDatabase ? acquireDataDirLock(config.DATA_DIR) : () => {}
  const runtime = await startRuntime(config, logger)
  const { deps } = runtime
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

  if (config.embeddedDatabase && config.DEMO_DATA) {
    const demo = await ensureDemoWorkspace(deps)
    const lines = [
      '',
      `Leadgrid is running at ${config.PUBLIC_URL}`,
      `  health:   ${config.PUBLIC_URL}/healthz   metrics: ${config.PUBLIC_URL}/metrics`,
      demo
        ? `  demo workspace ${demo.workspaceId}\n  demo API key:  ${demo.apiKey}\n  try: curl -H "authorization: Bearer ${demo.apiKey}" ${config.PUBLIC_URL}/api/v1/grids`
        : '  (no demo workspace: create one with `npx leadgrid workspace create --name "My company"`)',
      '',
    ]
    process.stdout.write(`${lines.join('\n')}\n`)
  } else {
    logger.info({ url: config.PUBLIC_URL, role: config.ROLE }, 'Leadgrid started')
  }
}

main().catch((err) => {
  process.stderr.write(
    `Leadgrid could not start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  )
  process.exit(1)
})
