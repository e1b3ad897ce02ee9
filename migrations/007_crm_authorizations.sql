-- Per-user CRM authorizations (issue 7): Pipedrive installs are per user ("authorization is
-- user-based, not company-based"), while Leadgrid keeps one connection per company. Each authorizing
-- user's tokens are kept here (sealed, like the connection's); the connection's own token columns hold
-- the authorization it currently acts with (`authorized_by`). A revoked or expired refresh token drops
-- that user's row and the connection moves to another user's; with none left it is uninstalled.
-- Keys lead with workspace_id like every other table.
ALTER TABLE connections ADD COLUMN authorized_by text;

CREATE TABLE crm_authorizations (
  workspace_id      uuid NOT NULL,
  connection_id     uuid NOT NULL,
  user_id           text NOT NULL,
  -- AES-256-GCM ciphertexts (see src/crypto); never plaintext.
  access_token_enc  text NOT NULL,
  refresh_token_enc text NOT NULL,
  token_expires_at  timestamptz NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, connection_id, user_id),
  FOREIGN KEY (workspace_id, connection_id) REFERENCES connections (workspace_id, id) ON DELETE CASCADE
);
