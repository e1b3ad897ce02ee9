/**
 * Outcomes: what eventually happened to a lead, used to recalibrate the grid.
 */
export const OUTCOME_KINDS = ['sql', 'opportunity', 'won', 'lost', 'disqualified'] as const
export type OutcomeKind = (typeof OUTCOME_KINDS)[number]
