-- A whole-workspace rescore (publish, daily sweep, manual) as a pass over key ranges instead of a
-- million mark rows (issue 9, "Rescore" acceptance).
--
-- Profiled at 200,000 contacts (docs/scaling.md): a publish inserted a mark per contact, and every
-- page of the pass then locked those marks, locked the contact rows (KEY SHARE: a tuple rewrite and
-- a WAL record each, on the wide contact rows' pages) and deleted the marks again — four writes
-- per contact before and after the score itself, plus a million dead rows for autovacuum. A pass
-- now walks the workspace's contacts in id order, cut into a few fixed ranges kept here; the
-- range's cursor is advanced by the very commit that stores a page's scores, so a crash redoes
-- at most the pages in flight. Any number of worker processes share one pass: each claims a
-- range (a lease, renewed by every page it commits) and ranges nobody holds are free to take.
-- Per-contact marks (contact_rescore_marks) stay for events, profile changes and small workspaces.
CREATE TABLE rescore_chunks (
  workspace_id   uuid NOT NULL,
  -- The range [lo, hi] of contact ids, inclusive at both ends (uuid order).
  lo             uuid NOT NULL,
  hi             uuid NOT NULL,
  -- Contacts up to here (inclusive) are done; NULL: none yet.
  done_to        uuid,
  -- The grid the pass scores with: a publish replaces the workspace's ranges with its own grid's.
  grid_id        uuid NOT NULL,
  -- Why (publish, sweep, manual): the history's cause for a contact that has no mark of its own.
  reason         text NOT NULL,
  started_at     timestamptz NOT NULL DEFAULT now(),
  -- Which pass holds the range, until when (a pass that died lets it go when the lease ends).
  claim          uuid,
  claimed_until  timestamptz,
  PRIMARY KEY (workspace_id, lo)
);
