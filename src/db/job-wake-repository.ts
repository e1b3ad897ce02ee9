/**
 * The two statements of the job wake-up (src/jobs/job-wake-listener.ts): a process with workers
 * LISTENs on one channel, a process that sent a job NOTIFYs it with the job's name. Both run on
 * connections the job layer holds (its own listening client, pg-boss's pool), so they take the
 * executor rather than the Kysely handle.
 */

export const JOB_WAKE_CHANNEL = 'leadgrid_job_wake'

/** Starts listening for wake-ups on a dedicated connection (a pg.Client). */
export async function listenForJobWakeUps(client: { query(text: string): Promise<unknown> }): Promise<void> {
  await client.query(`LISTEN ${JOB_WAKE_CHANNEL}`)
}

/** Tells every listening process that a job of `jobName` waits. */
export async function notifyJobWakeUp(
  executor: { executeSql(text: string, values: unknown[]): Promise<unknown> },
  jobName: string,
): Promise<void> {
  await executor.executeSql('SELECT pg_notify($1, $2)', [JOB_WAKE_CHANNEL, jobName])
}
