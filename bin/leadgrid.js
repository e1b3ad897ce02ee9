#!/usr/bin/env node
// `npx leadgrid …`: runs the compiled CLI when built (Docker image), else the TypeScript source via tsx.
import { existsSync } from 'node:fs'

const compiled = new URL('../dist/cli.js', import.meta.url)
if (existsSync(compiled)) {
  await import(compiled.href)
} else {
  const { register } = await import('tsx/esm/api')
  register()
  await import(new URL('../src/cli.ts', import.meta.url).href)
}
