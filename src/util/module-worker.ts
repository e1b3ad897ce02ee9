/**
 * Starts a node:worker_threads Worker on a module of this code base, from TypeScript source (tsx,
 * vitest) as from the compiled build. A plain `new Worker(file.ts)` fails with "Unknown file
 * extension": the parent's loader hooks do not reach a worker, so from source the worker's first
 * act is to register tsx's loader, then import the module. `eval` keeps this bootstrap plain JS.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads'

const BOOT = `const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  await import(workerData.entry);
})().catch((err) => { setImmediate(() => { throw err }) });`

/**
 * `sibling`: the module's name without extension, resolved next to `from` (the caller's
 * import.meta.url) with the caller's own extension — `.ts` from source, `.js` once compiled.
 * The module reads its input from `workerData.input`.
 */
export function startModuleWorker(
  from: string,
  sibling: string,
  options: { input?: unknown; resourceLimits?: WorkerOptions['resourceLimits'] } = {},
): Worker {
  const fromSource = from.endsWith('.ts')
  const entry = new URL(`./${sibling}${fromSource ? '.ts' : '.js'}`, from)
  const workerData = {
    entry: entry.href,
    tsx: fromSource ? import.meta.resolve('tsx/esm/api') : null,
    input: options.input,
  }
  return new Worker(BOOT, {
    eval: true,
    workerData,
    ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
  })
}
