-- Leadgrid initial schema (SPEC §2).
-- Every table carries workspace_id first in its primary key, so the schema can be distributed by
-- workspace (Citus) later. The one exception is the routing index on connections(provider,
-- account_id): a webhook names a CRM account, not a workspace; under Citus it becomes a reference table.

CREATE TABLE workspaces (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name          text NOT NULL,
  -- The tracking snippet's write key: public by design (it ships in web pages), so stored as is.
  public_key    text NOT NULL UNIQUE,
  settings      jsonb NOT NULL DEFAULT '{}'::jsonb,
  is_demo       boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
  workspace_id  uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  id            uuid NOT NULL DEFAULT gen_random_uuid(),
  name          text NOT NULL,
  -- SHA-256 of the secret; the secret itself is shown once and never stored.
  key_hash      text NOT NULL,
  key_prefix    text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_used_at  timestamptz,
  revoked_at    timestamptz,
  PRIMARY KEY (workspace_id, id),
  UNIQUE (workspace_id, key_hash)
);

CREATE TABLE connections (
  workspace_id        uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  id                  uuid NOT NULL DEFAULT gen_random_uuid(),
  provider            text NOT NULL CHECK (provider IN ('hubspot', 'pipedrive')),
  account_id          text NOT NULL,
  status              text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'uninstalled', 'error')),
  -- AES-256-GCM ciphertexts (see src/crypto); never plaintext.
  access_token_enc    text,
  refresh_token_enc   text,
  token_expires_at    timestamptz,
  scopes              text[] NOT NULL DEFAULT '{}',
  api_base            text,
  settings            jsonb NOT NULL DEFAULT '{}'::jsonb,
  provisioning        jsonb NOT NULL DEFAULT '{}'::jsonb,
  backfill            jsonb NOT NULL DEFAULT '{}'::jsonb,
  reconcile_cursor    timestamptz,
  last_webhook_at     timestamptz,
  last_error          text,
  last_error_at       timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, id)
);
CREATE UNIQUE INDEX connections_account ON connections (provider, account_id);

CREATE TABLE contacts (
  workspace_id  uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  id            uuid NOT NULL DEFAULT gen_random_uuid(),
  email         text,
  properties    jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- First-seen time: the inactivity rule's fallback when a contact has no activity.
  first_seen_at timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  -- Set in the same transaction as the change that needs a rescore; cleared by the worker.
  dirty_since   timestamptz,
  -- Why it is dirty (event, profile, publish, sweep): recorded in the score history.
  dirty_reason  text,
  PRIMARY KEY (workspace_id, id)
);
CREATE INDEX contacts_dirty ON contacts (workspace_id, dirty_since) WHERE dirty_since IS NOT NULL;
CREATE INDEX contacts_email ON contacts (workspace_id, email);

CREATE TABLE contact_identities (
  workspace_id  uuid NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('email', 'hubspot', 'pipedrive', 'external', 'anonymous')),
  value         text NOT NULL,
  contact_id    uuid NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, kind, value),
  FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX contact_identities_contact ON contact_identities (workspace_id, contact_id);

CREATE TABLE events (
  workspace_id  uuid NOT NULL,
  -- Given by the sender (event id) or derived from its content: the same fact stored once.
  dedupe_key    text NOT NULL,
  contact_id    uuid NOT NULL,
  type          text NOT NULL,
  occurred_at   timestamptz NOT NULL,
  attributes    jsonb NOT NULL DEFAULT '{}'::jsonb,
  source        text NOT NULL,
  received_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, dedupe_key),
  FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX events_contact_time ON events (workspace_id, contact_id, occurred_at);

CREATE TABLE grids (
  workspace_id  uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  id            uuid NOT NULL DEFAULT gen_random_uuid(),
  version       integer NOT NULL,
  name          text NOT NULL,
  status        text NOT NULL CHECK (status IN ('draft', 'published', 'retired')),
  definition    jsonb NOT NULL,
  note          text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  published_at  timestamptz,
  PRIMARY KEY (workspace_id, id),
  UNIQUE (workspace_id, version)
);
-- One published grid per workspace at a time.
CREATE UNIQUE INDEX grids_one_published ON grids (workspace_id) WHERE status = 'published';

CREATE TABLE scores (
  workspace_id  uuid NOT NULL,
  contact_id    uuid NOT NULL,
  grid_id       uuid NOT NULL,
  fit           integer NOT NULL,
  engagement    integer NOT NULL,
  total         integer NOT NULL,
  band          text NOT NULL,
  grade         text NOT NULL,
  mql           boolean NOT NULL,
  mql_since     timestamptz,
  reasons       text NOT NULL,
  contributions jsonb NOT NULL,
  computed_at   timestamptz NOT NULL,
  PRIMARY KEY (workspace_id, contact_id),
  FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX scores_total ON scores (workspace_id, total DESC);

-- One row each time a contact's visible score changes (total, band, grade or MQL status).
CREATE TABLE score_history (
  workspace_id  uuid NOT NULL,
  contact_id    uuid NOT NULL,
  id            bigint GENERATED ALWAYS AS IDENTITY,
  grid_id       uuid NOT NULL,
  fit           integer NOT NULL,
  engagement    integer NOT NULL,
  total         integer NOT NULL,
  band          text NOT NULL,
  grade         text NOT NULL,
  mql           boolean NOT NULL,
  reasons       text NOT NULL,
  cause         text NOT NULL,
  computed_at   timestamptz NOT NULL,
  PRIMARY KEY (workspace_id, contact_id, id),
  FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id) ON DELETE CASCADE
);

-- CRM webhook deliveries, stored as received before they are acknowledged, processed by a job.
CREATE TABLE inbound_deliveries (
  workspace_id  uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  connection_id uuid NOT NULL,
  delivery_key  text NOT NULL,
  payload       jsonb NOT NULL,
  received_at   timestamptz NOT NULL DEFAULT now(),
  processed_at  timestamptz,
  attempts      integer NOT NULL DEFAULT 0,
  last_error    text,
  PRIMARY KEY (workspace_id, connection_id, delivery_key)
);
CREATE INDEX inbound_deliveries_pending ON inbound_deliveries (workspace_id, connection_id) WHERE processed_at IS NULL;

-- Values waiting to be written to a CRM: one row per (connection, contact), newest values win.
CREATE TABLE outbox (
  workspace_id  uuid NOT NULL,
  connection_id uuid NOT NULL,
  contact_id    uuid NOT NULL,
  crm_id        text NOT NULL,
  properties    jsonb NOT NULL,
  status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'parked')),
  attempts      integer NOT NULL DEFAULT 0,
  last_error    text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, connection_id, contact_id),
  FOREIGN KEY (workspace_id, connection_id) REFERENCES connections (workspace_id, id) ON DELETE CASCADE
);

-- What the CRM holds now, as far as Leadgrid wrote it: the base for "send only what changed"
-- and for recognising our own writes when they come back as webhooks.
CREATE TABLE crm_written_values (
  workspace_id  uuid NOT NULL,
  connection_id uuid NOT NULL,
  contact_id    uuid NOT NULL,
  properties    jsonb NOT NULL,
  written_at    timestamptz NOT NULL,
  PRIMARY KEY (workspace_id, connection_id, contact_id),
  FOREIGN KEY (workspace_id, connection_id) REFERENCES connections (workspace_id, id) ON DELETE CASCADE
);

CREATE TABLE audit_log (
  workspace_id  uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  id            bigint GENERATED ALWAYS AS IDENTITY,
  at            timestamptz NOT NULL DEFAULT now(),
  actor         text NOT NULL,
  action        text NOT NULL,
  details       jsonb NOT NULL DEFAULT '{}'::jsonb,
  PRIMARY KEY (workspace_id, id)
);
