-- Which CRM company each contact belongs to (HubSpot: the contact's primary associated company).
-- Kept in its own small table rather than in contacts.properties so a company edit finds its
-- contacts through an index (workspace, connection, company) instead of scanning JSON; led by
-- workspace_id like every other key. A contact has at most one row per connection; the row goes
-- with the contact (erasure, merge) and with the connection.
CREATE TABLE crm_company_links (
  workspace_id  uuid NOT NULL,
  connection_id uuid NOT NULL,
  contact_id    uuid NOT NULL,
  company_id    text NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, connection_id, contact_id),
  FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id) ON DELETE CASCADE,
  FOREIGN KEY (workspace_id, connection_id) REFERENCES connections (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX crm_company_links_company ON crm_company_links (workspace_id, connection_id, company_id);
