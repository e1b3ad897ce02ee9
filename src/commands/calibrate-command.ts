/**
 * `leadgrid calibrate`: reads a CSV of historical leads, learns a suggested grid
 * and prints it with its held-out figures. With --json the last line is
 * {"heldOutAuc","baselineAuc","precision","recall","threshold","grid"}, `grid` importable as a
 * draft with `leadgrid grid import`. Kept out of cli.ts so the command line stays a list of commands.
 */
import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import {
  CalibrationInputError,
  type CalibrationResult,
  calibrate,
  type Goal,
} from '../calibration/calibrate.js'
import { CsvError, readCsvFile } from '../calibration/csv-table.js'
import { round4 } from '../calibration/metrics.js'

export const CALIBRATE_USAGE = `  calibrate --csv <file> --outcome <column> [--positive <value>] [--id <column>]
            [--exclude <col,col>] [--missing <value,value>] [--precision <p> | --mql-share <q>]
            [--seed <n>] [--output <grid.json>] [--json]
                                            suggest a grid from historical leads and outcomes
`

const list = (s: string | undefined): string[] =>
  s === undefined
    ? []
    : s
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x.length > 0)

function fraction(value: string, option: string, fail: (m: string) => never): number {
  const x = Number(value)
  if (!(x > 0 && x < 1)) fail(`${option} must be a number between 0 and 1, got "${value}"`)
  return x
}

export async function calibrateCommand(args: string[], fail: (message: string) => never): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      csv: { type: 'string' },
      outcome: { type: 'string' },
      positive: { type: 'string' },
      id: { type: 'string' },
      exclude: { type: 'string' },
      missing: { type: 'string' },
      precision: { type: 'string' },
      'mql-share': { type: 'string' },
      seed: { type: 'string' },
      output: { type: 'string' },
      json: { type: 'boolean' },
    },
  })
  if (!values.csv) fail('calibrate needs --csv <file>')
  if (!values.outcome)
    fail('calibrate needs --outcome <column> (the column saying whether the lead converted)')
  if (values.precision && values['mql-share']) fail('choose one goal: --precision or --mql-share')
  let goal: Goal = { kind: 'f1' }
  if (values.precision) goal = { kind: 'precision', target: fraction(values.precision, '--precision', fail) }
  if (values['mql-share'])
    goal = { kind: 'mqlShare', target: fraction(values['mql-share'], '--mql-share', fail) }
  const seed = values.seed === undefined ? 42 : Number(values.seed)
  if (!Number.isInteger(seed)) fail(`--seed must be an integer, got "${values.seed}"`)
  let result: CalibrationResult
  try {
    const table = readCsvFile(values.csv)
    result = calibrate(table.columns, table.rows, {
      outcome: values.outcome,
      positive: values.positive,
      id: values.id,
      exclude: list(values.exclude),
      missing: list(values.missing),
      goal,
      seed,
      name: `Suggested from ${values.csv.split(/[\\/]/).pop()}`.slice(0, 120),
    })
  } catch (err) {
    if (err instanceof CalibrationInputError || err instanceof CsvError) fail(`${values.csv}: ${err.message}`)
    throw err
  }
  if (values.output) writeFileSync(values.output, `${JSON.stringify(result.grid, null, 2)}\n`)
  process.stdout.write(summary(result))
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({
        heldOutAuc: round4(result.heldOutAuc),
        baselineAuc: round4(result.baselineAuc),
        precision: round4(result.precision),
        recall: round4(result.recall),
        threshold: result.threshold,
        grid: result.grid,
      })}\n`,
    )
  }
}

const pct = (x: number) => (Number.isNaN(x) ? 'n/a' : `${(x * 100).toFixed(1)} %`)
const signed = (n: number) => (n > 0 ? `+${n}` : n < 0 ? `−${-n}` : '0')

export function summary(r: CalibrationResult): string {
  const lines: string[] = []
  lines.push(
    `${r.rows.total} leads (${r.rows.positives} converted${r.rows.withoutOutcome ? `, ${r.rows.withoutOutcome} without an outcome, ignored` : ''}); learnt on ${r.rows.train}, checked on ${r.rows.heldOut} held out.`,
  )
  for (const s of r.skipped) lines.push(`  column "${s.column}" not used: ${s.reason}`)
  lines.push('', `Suggested grid (MQL at ${r.threshold} points, warm from ${r.grid.thresholds.warm}):`)
  const baseline = r.grid.rules.find((rule) => rule.id === 'baseline')
  if (baseline) lines.push(`  ${signed(baseline.points).padStart(5)}  ${baseline.label}`)
  const sorted = [...r.rules].sort((a, b) => Math.abs(b.rule.points) - Math.abs(a.rule.points))
  for (const s of sorted)
    lines.push(`  ${signed(s.rule.points).padStart(5)}  ${s.rule.label}: ${s.explanation}`)
  lines.push(
    '',
    'Held-out figures (the grid scored by the engine):',
    `  ROC AUC ${r.heldOutAuc.toFixed(3)} (logistic regression without penalty: ${r.baselineAuc.toFixed(3)}; before rounding to points: ${r.modelAuc.toFixed(3)})`,
    `  at ${r.threshold} points: ${pct(r.mqlShare)} of leads are MQL, precision ${pct(r.precision)}, recall ${pct(r.recall)}`,
    `  penalty λ = ${r.lambda} (5-fold cross-validation), ${r.scale.toFixed(1)} points per unit of log-odds`,
    '',
  )
  return `${lines.join('\n')}\n`
}
