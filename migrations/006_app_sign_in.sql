-- Sign-in links for the settings page (/app): one-time, short-lived, stored as SHA-256 hashes so a
-- database read never yields a usable link. A link is spent the moment it is redeemed.
CREATE TABLE login_tokens (
  workspace_id  uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  token_hash    text NOT NULL,
  role          text NOT NULL CHECK (role IN ('admin', 'viewer')),
  -- Who the link signs in (shown in the audit log): "cli", a CRM user's email…
  actor         text NOT NULL,
  created_at    timestamptz NOT NULL,
  expires_at    timestamptz NOT NULL,
  used_at       timestamptz,
  PRIMARY KEY (workspace_id, token_hash)
);
-- Redemption looks a token up by its hash alone (the link names no workspace).
CREATE UNIQUE INDEX login_tokens_hash ON login_tokens (token_hash);
