-- Request budgets shared by every Leadgrid process (issue 9, item 5).
--
-- HubSpot counts 110 requests per rolling 10 s per portal and Pipedrive a burst per 2 s per company,
-- whichever process sends them. Each process keeps its own in-memory window (ordering, no database
-- round trip when its own share is spent), but two worker processes could each fill theirs and
-- together send twice the budget. One row per (provider, account, window) holds the start times of
-- the requests admitted in the current window, and a single INSERT … ON CONFLICT DO UPDATE takes a
-- slot: the row lock serialises the processes and the WHERE re-reads the newest row, so no window
-- ever admits more than `max` requests however many processes ask at once.
--
-- Times are epoch milliseconds from the asking process's clock (bigint), not now(): one clock for
-- the in-memory and the shared window. `paused_until` carries a 429's or a spent budget's pause to
-- every process. Not tenant data (it is keyed by the CRM account, like HubSpot's own limit), so no
-- workspace_id: on Citus it would be a reference-free local table on the coordinator.
CREATE TABLE crm_rate_windows (
  provider      text   NOT NULL,
  account_id    text   NOT NULL,
  -- 'api', 'search': the provider's separate budgets.
  window_name   text   NOT NULL,
  -- Start times (epoch ms) of the requests admitted in the last window, oldest first.
  starts        bigint[] NOT NULL DEFAULT '{}',
  paused_until  bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (provider, account_id, window_name)
);

-- Write-backs parked because the CRM kept failing (5xx, timeouts: retryable) are tried again by the
-- next flush of their connection, so they resume by themselves once the CRM recovers; those the CRM
-- refused (invalid value, missing record) stay parked until someone retries them (issue 9, item 7).
ALTER TABLE outbox ADD COLUMN parked_retryable boolean NOT NULL DEFAULT false;
