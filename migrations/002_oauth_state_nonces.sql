-- Single-use OAuth install states (issue 6, item 6). The state is signed and expires in 10 minutes;
-- its nonce is recorded here when a callback uses it, so the same state is refused the second time,
-- whichever process answers. Not per workspace: an install starts before there is one (a future
-- state may name the workspace that started it, inside the signed state, not here).
CREATE TABLE oauth_state_nonces (
  nonce       text PRIMARY KEY,
  -- The state's own expiry: after it the state is refused anyway, so the row can go.
  expires_at  timestamptz NOT NULL
);

CREATE INDEX oauth_state_nonces_expires_at ON oauth_state_nonces (expires_at);
