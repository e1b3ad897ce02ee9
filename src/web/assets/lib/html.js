/** htm's tagged templates bound to Preact's `h`: every component of the page renders through this. */
import htm from 'htm'
import { h } from 'preact'

/** @type {(strings: TemplateStringsArray, ...values: any[]) => import('preact').VNode<any>} */
export const html = /** @type {any} */ (htm.bind(h))
