/**
 * Streams realistic engagement to a running Leadgrid through its public API, to watch scores move
 * in real time (demos, manual checks of a deployment):
 *
 *   npx tsx scripts/send-demo-traffic.ts --url http://localhost:3000 --key lg_sk_… [--contacts 50] [--seconds 30]
 *
 * Uses the same seeded sample contacts as the demo workspace, shifted to "now".
 */
import { parseArgs } from 'node:util'
import { sampleContacts } from '../src/demo/sample-contacts.js'

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://localhost:3000' },
    key: { type: 'string' },
    contacts: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '30' },
  },
})
if (!values.key) {
  process.stderr.write(
    'Usage: npx tsx scripts/send-demo-traffic.ts --url <leadgrid> --key <workspace API key>\n',
  )
  process.exit(2)
}
const headers = { authorization: `Bearer ${values.key}`, 'content-type': 'application/json' }
const samples = sampleContacts(Number(values.contacts), new Date(), Date.now() % 100_000)

async function post(path: string, body: unknown): Promise<unknown> {
  const r = await fetch(`${values.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) })
  const json = await r.json()
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status} ${JSON.stringify(json)}`)
  return json
}

await post('/api/v1/contacts', { contacts: samples.map((s) => s.contact) })
const events = samples.flatMap((s) => s.events).sort(() => Math.random() - 0.5)
const deadline = Date.now() + Number(values.seconds) * 1000
let sent = 0
while (sent < events.length && Date.now() < deadline) {
  const batch = events.slice(sent, sent + 10)
  const result = await post('/api/v1/events', { events: batch })
  sent += batch.length
  process.stdout.write(`sent ${sent}/${events.length} events ${JSON.stringify(result)}\n`)
  await new Promise((r) => setTimeout(r, 250))
}
