/** The page's language on first paint (issue 8 §6): from Accept-Language, English otherwise. */
import { describe, expect, it } from 'vitest'
import { appShell, languageOf, signedOutPage } from '../../../src/web/app-page.js'

describe('languageOf', () => {
  it.each([
    ['fr-FR,fr;q=0.9,en;q=0.8', 'fr'],
    ['en-GB,en;q=0.9,fr;q=0.8', 'en'],
    ['de-DE,fr;q=0.7,en;q=0.5', 'fr'],
    ['en;q=0.2,fr-CA;q=0.9', 'fr'],
    ['de-DE', 'en'],
    [undefined, 'en'],
    ['', 'en'],
  ])('%s → %s', (header, lang) => {
    expect(languageOf(header)).toBe(lang)
  })
})

describe('server-written pages', () => {
  it('set <html lang> from the chosen language', () => {
    expect(appShell('fr')).toContain('<html lang="fr">')
    expect(signedOutPage('en', 'invalid_link')).toContain('role="alert"')
  })
})
