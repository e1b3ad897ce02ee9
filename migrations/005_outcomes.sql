-- Outcomes (issue 10): what eventually happened to a lead — SQL, opportunity, won, lost,
-- disqualified — from the API, a CSV of historical leads, and later the CRMs. Backtests and
-- suggested grids learn from them. `id` is the sender's id or a hash of the content, so a resent
-- batch stores each outcome once.
CREATE TABLE outcomes (
  workspace_id  uuid NOT NULL,
  id            text NOT NULL,
  contact_id    uuid NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('sql', 'opportunity', 'won', 'lost', 'disqualified')),
  occurred_at   timestamptz NOT NULL,
  source        text NOT NULL,
  received_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, id),
  FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX outcomes_time ON outcomes (workspace_id, occurred_at);
CREATE INDEX outcomes_contact ON outcomes (workspace_id, contact_id, occurred_at);
