-- What X said of a message's sender with the message (conversation.md,
-- "A hijacked account"): the username (a v1.1 DM carries none), X's
-- created_at for the account (Unix ms, 0: not given) and its Automated
-- label (NULL: X said nothing of it). The processor records them as a
-- sighting of the account, in message order, when it decides.
ALTER TABLE inbox ADD COLUMN author_username TEXT NOT NULL DEFAULT '';
ALTER TABLE inbox ADD COLUMN author_created_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inbox ADD COLUMN author_automated INTEGER;
