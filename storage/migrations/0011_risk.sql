-- The risk rules (docs/conversation.md, "A hijacked account").

-- What the bot learned of each X account, by its numeric id: the username
-- it last saw and since when, when it saw that username change (0: never;
-- a first sight is not a change), X's created_at (0: unknown), X's
-- Automated label (NULL: unknown), when a user lookup last answered (0:
-- never). Times are Unix ms. Retention keeps the most recently updated
-- rows only (see PruneAccounts).
CREATE TABLE accounts (
	user_id           INTEGER PRIMARY KEY,
	username          TEXT    NOT NULL DEFAULT '',
	username_since    INTEGER NOT NULL DEFAULT 0,
	handle_changed_at INTEGER NOT NULL DEFAULT 0,
	created_at        INTEGER NOT NULL DEFAULT 0,
	automated         INTEGER CHECK (automated IN (0, 1)),
	looked_up_at      INTEGER NOT NULL DEFAULT 0,
	updated_at        INTEGER NOT NULL
);
CREATE INDEX accounts_updated ON accounts (updated_at);

-- Switches an admin command flips for the running daemon, by name:
-- 'paused' stops all charging. A switch never set is off.
CREATE TABLE switches (
	name       TEXT    PRIMARY KEY,
	is_on      INTEGER NOT NULL CHECK (is_on IN (0, 1)),
	changed_at INTEGER NOT NULL
);

-- Approvals asked of cardholders and their outcomes, one row per order
-- and kind, counted per cardholder in rolling windows. noticed is for a
-- decline: 1 once a later purchase has carried the declined_approval
-- reason.
CREATE TABLE approval_events (
	id       INTEGER PRIMARY KEY,
	user_id  INTEGER NOT NULL,
	order_id TEXT    NOT NULL,
	kind     TEXT    NOT NULL CHECK (kind IN ('asked', 'declined', 'expired', 'approved')),
	at       INTEGER NOT NULL,
	noticed  INTEGER NOT NULL DEFAULT 0,
	UNIQUE (order_id, kind)
);
CREATE INDEX approval_events_user ON approval_events (user_id, kind, at);

-- What the rules decided for an order, stored when decided and never
-- recomputed, so that a retried POST sends the same body:
--   approval          '' or 'required': what the bot asked of the issuer
--   risk_reasons      why approval was asked, comma-separated (amount,
--                     handle_changed, account_age, declined_approval)
--   risk_rules        every rule that applied, comma-separated, a refusing
--                     one included
--   risk_signals      a JSON object of strings, the metadata signals sent
--   approval_status   '', pending, approved, declined or expired; the
--                     order stays confirmed while pending
--   approval_channel  how the issuer asks the cardholder: app or sms, as
--                     its 202 says
--   approval_expires  Unix ms: when the issuer stops waiting; 0 unknown
--   approval_told     non-zero once the cardholder has been told that
--                     approval is pending (they are told once)
ALTER TABLE orders ADD COLUMN approval TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN risk_reasons TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN risk_rules TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN risk_signals TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN approval_status TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN approval_channel TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN approval_expires INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN approval_told INTEGER NOT NULL DEFAULT 0;
