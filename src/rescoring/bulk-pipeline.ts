/**
 * The shape every bulk pass shares (preview, rescore after publish): read a page (main thread, the
 * only one talking to the database), score it on a thread of the pool, consume the answer (sum it,
 * or write it) — with a few pages in flight so the database and the scoring threads work at the
 * same time, and no more: reading waits once `depth` pages are read but not yet consumed, which
 * bounds memory whatever the workspace's size (back-pressure). With one consumer (the default)
 * pages are consumed one at a time, in the order read; with more, page i goes to consumer
 * i mod n, each consumer taking its pages in order (the rescore writes disjoint pages in parallel,
 * so PostgreSQL can use more than one core for them).
 */
export interface PipelineOptions<P, R> {
  /** The next page, or null at the end. */
  read: () => Promise<P | null>
  score: (page: P) => Promise<R>
  consume: (page: P, result: R) => Promise<void> | void
  /** Pages read and not yet consumed, at most. */
  depth: number
  /** Consumers working at once (default 1). */
  consumers?: number
  /** Asked before each read: false ends the pass early (a time budget). */
  shouldContinue?: () => boolean
}

/** Runs the pass; resolves with the number of pages consumed, rejects with the first failure. */
export async function runPipeline<P, R>(options: PipelineOptions<P, R>): Promise<number> {
  const { read, score, consume, depth } = options
  let failure: { err: unknown } | null = null
  let consumed = 0
  const tails: Promise<void>[] = Array.from({ length: Math.max(1, options.consumers ?? 1) }, () =>
    Promise.resolve(),
  )
  let pages = 0
  const inFlight: Promise<void>[] = []
  while (!failure && (options.shouldContinue?.() ?? true)) {
    const page = await read()
    if (page === null) break
    const scored = score(page)
    // Handled through `tail`; this only stops an early rejection from counting as unhandled.
    scored.catch(() => {})
    const lane = pages++ % tails.length
    const tail = tails[lane]!.then(async () => {
      if (failure) return
      try {
        await consume(page, await scored)
        consumed += 1
      } catch (err) {
        failure = { err }
      }
    })
    tails[lane] = tail
    inFlight.push(tail)
    if (inFlight.length >= depth) await inFlight.shift()
  }
  await Promise.all(tails)
  if (failure) throw (failure as { err: unknown }).err
  return consumed
}
