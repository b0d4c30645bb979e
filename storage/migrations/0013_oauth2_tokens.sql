-- The bot account's OAuth 2.0 user token (twitter-push.md, "OAuth 2.0 user
-- context"): one row, the pair X gave last. Each refresh token works once,
-- so the new pair is committed the moment X answers, and only the holder
-- of the lease (a process id and when it lapses, Unix ms) refreshes: two
-- daemons, or a daemon and x-login, on one file never spend the same
-- refresh token. refused_fingerprint is the SHA-256 (hex) of a refresh
-- token X refused, so that no process tries it again; a new pair (x-login)
-- clears it. The tokens are stored as given: the database is a secret
-- store like the configuration, and nothing prints them.
CREATE TABLE oauth2_tokens (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	access_token TEXT NOT NULL DEFAULT '',
	refresh_token TEXT NOT NULL DEFAULT '',
	expires_at INTEGER NOT NULL DEFAULT 0,
	scope TEXT NOT NULL DEFAULT '',
	updated_at INTEGER NOT NULL DEFAULT 0,
	generation INTEGER NOT NULL DEFAULT 0,
	refused_fingerprint TEXT NOT NULL DEFAULT '',
	refused_at INTEGER NOT NULL DEFAULT 0,
	refused_reason TEXT NOT NULL DEFAULT '',
	lease_holder TEXT NOT NULL DEFAULT '',
	lease_until INTEGER NOT NULL DEFAULT 0
);
INSERT INTO oauth2_tokens (id) VALUES (1);
