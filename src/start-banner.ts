/**
 * The few lines a person needs after `npm start`, in plain text on standard error, apart from the
 * JSON logs on standard output (which stay machine-readable): where Leadgrid answers and, on a
 * local run, the demo workspace's keys.
 */
import type { DemoCredentials } from './demo/demo-workspace.js'

export interface StartBanner {
  url: string
  demo: DemoCredentials | null
  /** Whether a demo workspace belongs on this run (embedded database with DEMO_DATA). */
  demoExpected: boolean
  /** The settings page's one-time sign-in link (valid 15 minutes; `leadgrid login-link` makes more). */
  settingsSignInLink?: string
}

export function startBannerLines(banner: StartBanner): string[] {
  const { url, demo } = banner
  const lines = ['', `Leadgrid is running at ${url}`, `  health: ${url}/healthz   metrics: ${url}/metrics`]
  if (demo) {
    lines.push(
      `  demo workspace:     ${demo.workspaceId}`,
      `  demo API key:       ${demo.apiKey}`,
      `  demo tracking key:  ${demo.publicKey}`,
      `  try: curl -H "authorization: Bearer ${demo.apiKey}" ${url}/api/v1/grids`,
    )
    if (banner.settingsSignInLink) {
      lines.push(
        `  settings page:      ${banner.settingsSignInLink}`,
        '                      (one-time link, 15 minutes; more with `npx leadgrid login-link --workspace <id>`)',
      )
    }
  } else if (banner.demoExpected) {
    lines.push('  (no demo workspace: create one with `npx leadgrid workspace create --name "My company"`)')
  }
  lines.push('')
  return lines
}
