-- Champion/challenger (issue 10, item 5). At most one challenger per workspace: a draft grid
-- scored in shadow beside the published one (the champion). Its scores live apart from `scores`,
-- `score_history` and the outbox, so nothing of the challenger ever reaches the CRM or the
-- champion's history.
CREATE TABLE grid_challengers (
  workspace_id  uuid PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
  grid_id       uuid NOT NULL,
  started_at    timestamptz NOT NULL,
  started_by    text NOT NULL,
  FOREIGN KEY (workspace_id, grid_id) REFERENCES grids (workspace_id, id) ON DELETE CASCADE
);

-- The challenger's latest score of each contact it has seen on live traffic.
CREATE TABLE challenger_scores (
  workspace_id  uuid NOT NULL,
  grid_id       uuid NOT NULL,
  contact_id    uuid NOT NULL,
  total         integer NOT NULL,
  band          text NOT NULL,
  mql           boolean NOT NULL,
  -- When the challenger first saw the contact over its threshold (kept while it stays over).
  mql_since     timestamptz,
  reasons       text NOT NULL,
  computed_at   timestamptz NOT NULL,
  PRIMARY KEY (workspace_id, grid_id, contact_id),
  FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id) ON DELETE CASCADE
);
