-- Grid reviews (issue 10, item 6): "revise every quarter". A grid counts as reviewed when a
-- version is published or when an admin explicitly marks the current one reviewed; the latter is
-- recorded here (publishing already has grids.published_at).
CREATE TABLE grid_reviews (
  workspace_id  uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  id            bigint GENERATED ALWAYS AS IDENTITY,
  grid_id       uuid NOT NULL,
  reviewed_at   timestamptz NOT NULL,
  reviewed_by   text NOT NULL,
  note          text,
  PRIMARY KEY (workspace_id, id)
);
CREATE INDEX grid_reviews_time ON grid_reviews (workspace_id, reviewed_at DESC);
