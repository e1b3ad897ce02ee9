/**
 * The body the Grid and Preview tabs send — `{"definition": {grid}, "note"?: "…"}` — and the grid
 * check that answers with every issue's dotted path, so the page shows each beside its field.
 */
import { z } from 'zod'
import { BadRequest } from '../errors.js'
import { type Grid, parseGrid } from '../scoring/index.js'

const definitionBody = z.object({ definition: z.unknown(), note: z.string().max(1000).optional() })

export function definitionBodyOf(value: unknown): { definition: unknown; note?: string | undefined } {
  const parsed = definitionBody.safeParse(value)
  if (!parsed.success) throw new BadRequest('The body must be {"definition": {grid}, "note"?: "…"}')
  return parsed.data
}

/** Validates like the API does: a 400 listing the first issues, all of them attached. */
export function validatedGrid(definition: unknown): Grid {
  const parsed = parseGrid(definition)
  if (!parsed.ok) {
    throw new BadRequest(
      `The grid is not valid: ${parsed.issues
        .slice(0, 3)
        .map((d) => `${d.path || 'grid'}: ${d.message}`)
        .join('; ')}`,
      parsed.issues,
      'invalid_grid',
    )
  }
  return parsed.grid
}
