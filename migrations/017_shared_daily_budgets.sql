-- Daily CRM budgets shared by every Leadgrid process (issue 9, item 5).
--
-- Pipedrive gives each company one daily token budget (30,000 × plan multiplier × seats), shared by
-- every user and integration and reset at midnight; an exhausted budget only shows as 429s until then.
-- Kept in each process's memory, two worker processes each believed they had the whole day's budget,
-- and a 429 that told one of them the budget was gone left the others sending into it. One row per
-- (provider, account) holds what Leadgrid spent on the current UTC day and whether the CRM said the
-- budget is gone; a single INSERT … ON CONFLICT DO UPDATE … WHERE <the cost still fits> takes a
-- call's cost, so the row lock orders concurrent takers and the day's spend never passes the
-- allowance, whatever the number of processes. The day is the database's (clock_timestamp() in UTC):
-- the one clock every process shares.
--
-- Not tenant data (keyed by the CRM account, like crm_rate_windows), so no workspace_id.
CREATE TABLE crm_daily_budgets (
  provider    text    NOT NULL,
  account_id  text    NOT NULL,
  -- The UTC day `spent` and `exhausted` are for; the first take of a new day starts them afresh.
  day         date    NOT NULL,
  -- Tokens Leadgrid charged to the CRM account on `day` (Pipedrive's published costs per call).
  spent       bigint  NOT NULL DEFAULT 0,
  -- The CRM refused a call for the daily budget (a 429 the burst window does not explain).
  exhausted   boolean NOT NULL DEFAULT false,
  PRIMARY KEY (provider, account_id)
);
