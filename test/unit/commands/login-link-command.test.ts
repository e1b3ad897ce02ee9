/**
 * `leadgrid login-link --as <name>`: the name the audit log shows, and what the two-person rule
 * tells two admins apart by (two links without it would both be "admin via command line").
 */
import { describe, expect, it } from 'vitest'
import { databaseCommands } from '../../../src/commands/database-commands.js'

const command = databaseCommands.get('login-link')!
const WS = '5b0c2f1e-0000-4000-8000-000000000001'

describe('login-link arguments', () => {
  it('takes --as as the name the link signs in', () => {
    expect(command.parse(['--workspace', WS, '--as', ' ada@acme.example '])).toEqual({
      workspace: WS,
      role: 'admin',
      as: 'ada@acme.example',
    })
  })

  it('keeps the default name without --as, and refuses an empty one', () => {
    expect(command.parse(['--workspace', WS, '--role', 'viewer'])).toMatchObject({
      role: 'viewer',
      as: undefined,
    })
    expect(() => command.parse(['--workspace', WS, '--as', '  '])).toThrow(/--as/)
  })
})
