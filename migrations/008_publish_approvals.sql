-- The optional two-person rule (issue 8 §3): with workspaces.settings.publishApproval on, publishing
-- from the settings page records a request here, and a second, different admin approves it (which
-- publishes it) or either side rejects it. Rows stay as the history of who asked and who signed off.
CREATE TABLE publish_requests (
  workspace_id  uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  id            uuid NOT NULL DEFAULT gen_random_uuid(),
  definition    jsonb NOT NULL,
  note          text,
  requested_by  text NOT NULL,
  requested_at  timestamptz NOT NULL,
  status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
  decided_by    text,
  decided_at    timestamptz,
  -- The version the approval published.
  grid_id       uuid,
  PRIMARY KEY (workspace_id, id)
);
CREATE INDEX publish_requests_pending ON publish_requests (workspace_id, requested_at) WHERE status = 'pending';
