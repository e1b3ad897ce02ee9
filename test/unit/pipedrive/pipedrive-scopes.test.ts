/**
 * The scopes Leadgrid asks Pipedrive for are listed once in code (src/crm/pipedrive/scopes.ts);
 * the README's Developer Hub table and docs/pipedrive.md's scope table must say the same, since the
 * scopes are set by hand in Developer Hub from those pages. And an install's granted scopes are
 * checked against that list, older covering scopes (`admin`) counted.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { missingScopes, PIPEDRIVE_SCOPES } from '../../../src/crm/pipedrive/scopes.js'

const read = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8')
const scopes = PIPEDRIVE_SCOPES.map((s) => s.scope)

describe('Pipedrive scopes', () => {
  it('the README lists exactly these scopes for Developer Hub, and not admin', () => {
    const row = read('README.md')
      .split('\n')
      .find((line) => line.startsWith('| Scopes |'))!
    const listed = [...row.split('|')[2]!.matchAll(/`([a-z:-]+)`/g)].map((m) => m[1])
    expect(listed.filter((s) => s !== 'base' && s !== 'admin')).toEqual(scopes)
    expect(row).toContain('not `admin`')
  })

  it('docs/pipedrive.md says what each scope is for, one row each', () => {
    const rows = read('docs/pipedrive.md')
      .split('\n')
      .filter((line) => /^\| `[a-z:-]+` \|/.test(line))
      .map((line) => line.match(/^\| `([a-z:-]+)`/)![1])
    expect(rows).toEqual(scopes)
  })

  it('an install lacking a scope says which; admin covers the field and webhook scopes of older installs', () => {
    expect(missingScopes(['base', ...scopes])).toEqual([])
    expect(missingScopes(['base', 'deals:read', 'activities:read', 'contacts:full', 'admin'])).toEqual([])
    expect(missingScopes(['base', 'contacts:full', 'deals:read', 'activities:read'])).toEqual([
      'contact-fields:full',
      'webhooks:full',
    ])
  })
})
