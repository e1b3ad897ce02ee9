/**
 * Compiled grids by key (a grid id, or a draft's own key): parsing and compiling a grid costs more
 * than scoring a page with it, and a published version never changes, so compiling once is safe.
 * The composition root builds one for the main thread and hands it to every service that scores;
 * each scoring thread builds its own (bulk-score-worker.ts).
 */
import { type CompiledGrid, compileGrid } from './compile.js'
import { type Grid, gridSchema } from './schema.js'

export interface CompiledGridEntry {
  grid: Grid
  compiled: CompiledGrid
}

export interface CompiledGridCache {
  /** The grid `definition` under `key`, validated and compiled on first use. */
  get(key: string, definition: unknown): CompiledGridEntry
}

/** `max`: how many grids are kept; past it the cache starts again empty (a few are ever live). */
export function createCompiledGridCache(options: { max?: number } = {}): CompiledGridCache {
  const max = options.max ?? 500
  const entries = new Map<string, CompiledGridEntry>()
  return {
    get(key, definition) {
      let hit = entries.get(key)
      if (!hit) {
        const grid = gridSchema.parse(definition)
        hit = { grid, compiled: compileGrid(grid) }
        if (entries.size >= max) entries.clear()
        entries.set(key, hit)
      }
      return hit
    },
  }
}
