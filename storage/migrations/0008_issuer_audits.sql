-- An order may have been charged by a daemon whose history this database
-- lost (a restore from a replica) although this database knows it ended
-- unpaid: expired or cancelled, or never made, its buy refused when read
-- again. Such an order gets an audit: its reference is looked up at the
-- issuer, and a purchase found there is recorded rather than lost. Only
-- buys a daemon before this one could have acted on are audited (see
-- DB.AuditOrdersBefore). Audits are the record of that check, and stay.
CREATE TABLE issuer_audits (
	order_id   TEXT    PRIMARY KEY,
	ended_as   TEXT    NOT NULL CHECK (ended_as IN ('expired', 'cancelled', 'refused')),
	-- refused: the order the buy would have made, as JSON; there is no
	-- row in orders unless the audit finds its purchase.
	would_be   TEXT,
	-- due: to be looked up; clear: the issuer has no approved purchase;
	-- found: it had one, now recorded on the order (paid); mismatch: it
	-- had one that is not this order's (amount, cardholder...): an
	-- operator must look.
	state      TEXT    NOT NULL DEFAULT 'due' CHECK (state IN ('due', 'clear', 'found', 'mismatch')),
	attempts   INTEGER NOT NULL DEFAULT 0,
	next_at    INTEGER NOT NULL,
	detail     TEXT    NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	checked_at INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX issuer_audits_due ON issuer_audits (next_at) WHERE state = 'due';
