-- When each cardholder was last told "did you mean" about each offer, so
-- that their near-misses of its hashtags are answered once per
-- conversations.HintQuiet, across restarts. One row per cardholder and
-- offer, overwritten: only the latest answer matters.
CREATE TABLE hashtag_hints (
	user_id   INTEGER NOT NULL,
	offer_id  TEXT    NOT NULL,
	hinted_at INTEGER NOT NULL,
	PRIMARY KEY (user_id, offer_id)
) WITHOUT ROWID;
