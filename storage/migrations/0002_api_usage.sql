-- What the bot read from and wrote to the Twitter API: one row per
-- resource (a post, a DM event) per kind and UTC day, since X charges a
-- resource fetched again within a UTC day once. Estimates, not a ledger.
CREATE TABLE api_usage (
	day         TEXT    NOT NULL, -- YYYY-MM-DD, UTC
	kind        TEXT    NOT NULL, -- what was done to it (twitterapi.Usage)
	resource_id INTEGER NOT NULL,
	PRIMARY KEY (day, kind, resource_id)
);
