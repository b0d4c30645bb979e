-- A message whose processing fails is tried again with a growing backoff,
-- holding back only its own cardholder (retry_at, wall-clock Unix ms), and
-- after a number of attempts is set aside as 'failed' with its last error,
-- for an admin to see (paybytweet inbox) and put back. SQLite cannot
-- change a CHECK constraint in place, so the table is rebuilt.
CREATE TABLE inbox_new (
	id          INTEGER PRIMARY KEY,
	channel     TEXT    NOT NULL CHECK (channel IN ('tweet', 'dm')),
	message_id  INTEGER NOT NULL,
	user_id     INTEGER NOT NULL,
	screen_name TEXT    NOT NULL,
	text        TEXT    NOT NULL,
	hashtags    TEXT    NOT NULL, -- JSON array of strings
	in_reply_to INTEGER NOT NULL DEFAULT 0,
	posted_at   INTEGER NOT NULL,
	received_at INTEGER NOT NULL,
	state       TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
	action      TEXT    NOT NULL DEFAULT '',
	processed_at INTEGER,
	attempts    INTEGER NOT NULL DEFAULT 0,
	last_error  TEXT    NOT NULL DEFAULT '',
	retry_at    INTEGER NOT NULL DEFAULT 0,
	UNIQUE (channel, message_id)
);
INSERT INTO inbox_new (id, channel, message_id, user_id, screen_name, text, hashtags, in_reply_to, posted_at, received_at, state, action, processed_at)
	SELECT id, channel, message_id, user_id, screen_name, text, hashtags, in_reply_to, posted_at, received_at, state, action, processed_at FROM inbox;
DROP TABLE inbox;
ALTER TABLE inbox_new RENAME TO inbox;
CREATE INDEX inbox_pending ON inbox (message_id) WHERE state = 'pending';
CREATE INDEX inbox_pending_user ON inbox (user_id, posted_at) WHERE state = 'pending';
