/**
 * The shapes the page receives from /app/api, for the type check only (nothing here runs). Grid
 * documents stay loose on purpose: the server's zod schema is the one that knows them, and the page
 * shows whatever issue it reports beside the field.
 */

/** @typedef {'admin' | 'viewer'} Role */
/** @typedef {'en' | 'fr'} Lang */

/**
 * What an operator's `value` is: nothing, one operand, a list of operands or of email domains, text
 * or a list of texts, a pattern, a number, a [min, max] range.
 * @typedef {'none' | 'operand' | 'operands' | 'domains' | 'textOrList' | 'pattern' | 'number' | 'range'} ConditionValue
 */

/** @typedef {{ op: string, value: ConditionValue }} ConditionOp */

/**
 * The grid vocabulary the editor offers, from the constants the server's schema validates with.
 * @typedef {{ eventTypes: string[], emailCategories: string[], conditionOps: ConditionOp[] }} Vocabulary
 */

/**
 * @typedef {object} Session
 * @property {{ id: string, name: string }} workspace
 * @property {Role} role
 * @property {string} actor
 * @property {string} csrfToken
 * @property {{ publishApproval: boolean }} settings
 * @property {Vocabulary} vocabulary
 */

/**
 * One problem the server's schema found, at a dotted path of the grid (`rules.3.points`).
 * @typedef {{ path: string, message: string }} Issue
 */

/**
 * A grid document as the editor holds it (any JSON: the schema judges it).
 * @typedef {Record<string, any>} GridDefinition
 */

/**
 * @typedef {object} GridVersion
 * @property {string} id
 * @property {number} version
 * @property {string} name
 * @property {'draft' | 'published' | 'retired'} status
 * @property {string | null} [note]
 * @property {string} createdAt
 * @property {string | null} [publishedAt]
 * @property {GridDefinition} definition
 */

/**
 * A publish answered by the server: the new version and its changes, or a request awaiting approval.
 * @typedef {object} PublishResult
 * @property {boolean} [approvalRequired]
 * @property {{ id: string, version: number }} grid
 * @property {string[]} changes
 * @property {{ changes: string[] }} [request]
 */

export {}
