-- Times are Unix milliseconds (UTC). Tweet and DM ids are INTEGER (int64),
-- so SQLite compares them as numbers.

-- Poll positions: the mentions since_id, the DM walk, and the state of a
-- walk over several pages, kept as JSON so a crash mid-walk resumes it.
CREATE TABLE cursors (
	name  TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

-- Every mention and DM read, exactly once (UNIQUE), until processed.
CREATE TABLE inbox (
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
	state       TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done')),
	action      TEXT    NOT NULL DEFAULT '',
	processed_at INTEGER,
	UNIQUE (channel, message_id)
);
CREATE INDEX inbox_pending ON inbox (message_id) WHERE state = 'pending';

CREATE TABLE orders (
	id                 TEXT    PRIMARY KEY,
	offer_id           TEXT    NOT NULL,
	user_id            INTEGER NOT NULL,
	screen_name        TEXT    NOT NULL,
	state              TEXT    NOT NULL CHECK (state IN ('pending', 'confirmed', 'paid', 'declined', 'failed', 'parked', 'expired', 'cancelled')),
	channel            TEXT    NOT NULL,
	buy_message_id     INTEGER NOT NULL,
	request_message_id INTEGER NOT NULL DEFAULT 0,
	title              TEXT    NOT NULL,
	buy_hashtag        TEXT    NOT NULL,
	confirm_hashtag    TEXT    NOT NULL,
	amount             INTEGER NOT NULL CHECK (amount >= 0),
	currency           TEXT    NOT NULL,
	merchant           TEXT    NOT NULL,
	cardholder         TEXT    NOT NULL,
	card_last4         TEXT    NOT NULL,
	created_at         INTEGER NOT NULL,
	expires_at         INTEGER NOT NULL,
	confirm_message_id INTEGER NOT NULL DEFAULT 0,
	confirm_channel    TEXT    NOT NULL DEFAULT '',
	confirmed_at       INTEGER NOT NULL DEFAULT 0,
	-- Set once, when the order is confirmed, and never changed: every
	-- issuer call for this order carries it.
	idempotency_key    TEXT    UNIQUE,
	charge_attempts    INTEGER NOT NULL DEFAULT 0,
	next_charge_at     INTEGER NOT NULL DEFAULT 0,
	last_error         TEXT    NOT NULL DEFAULT '',
	purchase_id        TEXT    NOT NULL DEFAULT '',
	decline_code       TEXT    NOT NULL DEFAULT '',
	settled_at         INTEGER NOT NULL DEFAULT 0,
	refunded_amount    INTEGER NOT NULL DEFAULT 0,
	updated_at         INTEGER NOT NULL
);
CREATE INDEX orders_user ON orders (user_id, created_at);
CREATE INDEX orders_offer_state ON orders (offer_id, state);
CREATE INDEX orders_state_expires ON orders (state, expires_at);
CREATE INDEX orders_buy_message ON orders (buy_message_id);

-- Every reply, DM and announcement, sent in order per recipient.
-- pending: not tried, or known not to have been posted; sending: a post
-- was started and its outcome is not known; sent and failed are final.
CREATE TABLE outbox (
	id              INTEGER PRIMARY KEY,
	channel         TEXT    NOT NULL CHECK (channel IN ('tweet', 'dm')),
	user_id         INTEGER NOT NULL, -- recipient; 0 for announcements
	screen_name     TEXT    NOT NULL DEFAULT '',
	in_reply_to     INTEGER NOT NULL DEFAULT 0,
	kind            TEXT    NOT NULL,
	order_id        TEXT    NOT NULL DEFAULT '',
	is_request      INTEGER NOT NULL DEFAULT 0,
	text            TEXT    NOT NULL,
	state           TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL DEFAULT 0,
	sending_since   INTEGER NOT NULL DEFAULT 0,
	sent_id         INTEGER,
	last_error      TEXT    NOT NULL DEFAULT '',
	created_at      INTEGER NOT NULL,
	sent_at         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_open ON outbox (user_id, id) WHERE state IN ('pending', 'sending');
CREATE INDEX outbox_sent_at ON outbox (channel, sent_at) WHERE state = 'sent';
CREATE UNIQUE INDEX outbox_sent_id ON outbox (channel, sent_id) WHERE sent_id IS NOT NULL;

-- Per-cardholder conversation memory beyond orders.
CREATE TABLE conversations (
	user_id           INTEGER PRIMARY KEY,
	help_pointer_sent INTEGER NOT NULL DEFAULT 0,
	updated_at        INTEGER NOT NULL
);

-- Every issuer call for a charge, for the audit trail and for operators.
CREATE TABLE charge_attempts (
	id          INTEGER PRIMARY KEY,
	order_id    TEXT    NOT NULL REFERENCES orders (id),
	kind        TEXT    NOT NULL, -- 'purchase' or 'lookup'
	started_at  INTEGER NOT NULL,
	finished_at INTEGER NOT NULL DEFAULT 0,
	outcome     TEXT    NOT NULL DEFAULT '',
	detail      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX charge_attempts_order ON charge_attempts (order_id);

-- An offer is announced once per announcement time, whatever restarts.
CREATE TABLE announcements (
	offer_id    TEXT    NOT NULL,
	announce_at INTEGER NOT NULL,
	outbox_id   INTEGER NOT NULL REFERENCES outbox (id),
	created_at  INTEGER NOT NULL,
	PRIMARY KEY (offer_id, announce_at)
);

CREATE TABLE refunds (
	id              INTEGER PRIMARY KEY,
	order_id        TEXT    NOT NULL REFERENCES orders (id),
	idempotency_key TEXT    NOT NULL UNIQUE,
	amount          INTEGER NOT NULL, -- 0: whatever is left
	reason          TEXT    NOT NULL,
	state           TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'succeeded', 'failed')),
	refund_id       TEXT    NOT NULL DEFAULT '',
	refunded        INTEGER NOT NULL DEFAULT 0,
	last_error      TEXT    NOT NULL DEFAULT '',
	created_at      INTEGER NOT NULL,
	settled_at      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX refunds_order ON refunds (order_id);
