-- Dirty marks move out of the contact rows into their own small table (issue 6, item 3).
--
-- Publishing a grid marked every contact with one UPDATE over the workspace's contact rows while
-- ingestion held some of those rows (identity resolution, profile patches) and waited for others,
-- in another order: PostgreSQL resolved the cycle with a deadlock (40P01) and a publish or an
-- event batch failed. A mark is now a row keyed (workspace_id, contact_id): publishing, the sweep
-- and ingestion only ever lock marks, always in contact-id order, and never a contact row, so the
-- cycle cannot form. Marking a million contacts is one set-based INSERT … SELECT of narrow rows
-- instead of rewriting a million contact tuples (jsonb profile and all) and their indexes.
--
-- No foreign key to contacts on purpose: its check would take a KEY SHARE lock on every contact
-- row, which waits behind a merge deleting a contact — the very cross-table wait this removes.
-- A mark whose contact is gone (merged, erased) is simply dropped by the rescorer.
CREATE TABLE contact_rescore_marks (
  workspace_id  uuid NOT NULL,
  contact_id    uuid NOT NULL,
  -- When the contact first became stale since its last scoring: the rescorer's queue order.
  marked_at     timestamptz NOT NULL DEFAULT now(),
  -- Why it is dirty (event, profile, created, merge, publish, sweep, manual): the history's cause.
  reason        text NOT NULL,
  PRIMARY KEY (workspace_id, contact_id)
);
CREATE INDEX contact_rescore_marks_queue ON contact_rescore_marks (workspace_id, marked_at);

-- Contacts dirty at the time of the upgrade keep their mark.
INSERT INTO contact_rescore_marks (workspace_id, contact_id, marked_at, reason)
SELECT workspace_id, id, dirty_since, COALESCE(dirty_reason, 'rescore')
FROM contacts
WHERE dirty_since IS NOT NULL;

DROP INDEX contacts_dirty;
ALTER TABLE contacts DROP COLUMN dirty_since, DROP COLUMN dirty_reason;
