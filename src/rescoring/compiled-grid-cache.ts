/**
 * Compiled grids by grid id, for the main thread (the scoring threads keep their own): a published
 * version never changes, so compiling once is safe.
 */
import { type CompiledGrid, compileGrid, type Grid, gridSchema } from '../scoring/index.js'

const compiledCache = new Map<string, { grid: Grid; compiled: CompiledGrid }>()

export function compiledGridFor(gridId: string, definition: unknown) {
  let hit = compiledCache.get(gridId)
  if (!hit) {
    const grid = gridSchema.parse(definition)
    hit = { grid, compiled: compileGrid(grid) }
    if (compiledCache.size > 500) compiledCache.clear()
    compiledCache.set(gridId, hit)
  }
  return hit
}
