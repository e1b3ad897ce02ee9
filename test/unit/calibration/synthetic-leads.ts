/**
 * Synthetic historical leads with a KNOWN generating model, so calibration tests do not depend on
 * ../shared (a fresh clone has no datasets). The log-odds of converting are a sum of effects of a
 * categorical source (with case/underscore variants of one value and rare values), a numeric
 * company size (a smooth, non-linear effect), a yes/no flag, pages viewed, and noise columns with
 * no effect; some cells are blank or hold a form default ("Select").
 */
import { seededRandom } from '../../../src/util/seeded-random.js'

export interface SyntheticOptions {
  rows: number
  seed: number
}

const SOURCES: [string, number, number][] = [
  // value, share, effect on the log-odds
  ['Google', 0.35, 0],
  ['Direct Traffic', 0.25, -0.3],
  ['Reference', 0.08, 2.2],
  ['Olark Chat', 0.15, -1.0],
  ['Webinar', 0.1, 1.0],
  ['Facebook', 0.05, -0.6],
]

export function syntheticLeads({ rows, seed }: SyntheticOptions): { csv: string; truth: number[] } {
  const random = seededRandom(seed)
  const pick = () => {
    let u = random()
    for (const s of SOURCES) {
      u -= s[1]
      if (u <= 0) return s
    }
    return SOURCES[0]!
  }
  const header = ['Lead Id', 'Lead Source', 'Employees', 'Decision Maker', 'Pages', 'Region', 'Noise', 'Won']
  const lines = [header.join(',')]
  const truth: number[] = []
  for (let i = 0; i < rows; i++) {
    const [source, , sourceEffect] = pick()
    // Case and separator variants the engine normalizes to the same value.
    const written =
      source === 'Direct Traffic' && random() < 0.3
        ? 'DIRECT_TRAFFIC'
        : source === 'Google' && random() < 0.2
          ? 'google'
          : source
    const rare = random() < 0.01 ? `Partner ${Math.floor(random() * 40)}` : written
    const employees = Math.round(Math.exp(1 + random() * 7))
    const employeesCell = random() < 0.08 ? '' : String(employees)
    const dm = random() < 0.3
    const dmCell = random() < 0.05 ? '' : dm ? 'Yes' : 'No'
    const pages = Math.floor(random() * random() * 12)
    const region = random() < 0.15 ? 'Select' : ['North', 'South', 'East', 'West'][Math.floor(random() * 4)]!
    const noise = ['a', 'b', 'c'][Math.floor(random() * 3)]!
    const sizeEffect =
      employeesCell === '' ? -0.4 : Math.log(employees) > 4 ? 1.0 : Math.log(employees) > 2.5 ? 0.4 : -0.5
    const logit =
      -1.2 +
      sourceEffect +
      sizeEffect +
      (dmCell === 'Yes' ? 1.1 : 0) +
      0.25 * pages +
      (region === 'Select' ? -0.5 : 0)
    const p = 1 / (1 + Math.exp(-logit))
    const won = random() < p ? 1 : 0
    truth.push(p)
    lines.push(
      [
        `L${i}`,
        rare.includes(',') ? `"${rare}"` : rare,
        employeesCell,
        dmCell,
        String(pages),
        region,
        noise,
        String(won),
      ].join(','),
    )
  }
  return { csv: `${lines.join('\n')}\n`, truth }
}
