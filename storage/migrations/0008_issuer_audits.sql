-- An order that ends unpaid (expired, or cancelled) may still have been
-- charged: by a daemon whose history this database lost (a restore from a
-- replica) or did not see (a crash between the issuer's answer and its
-- record cannot happen to a pending order, but a restore can). Such an
-- order gets an audit: its reference is looked up at the issuer, and a
-- purchase found there is recorded on the order rather than lost. Only
-- orders a daemon before this one could have acted on are audited (see
-- DB.AuditOrdersBefore). Audits are the record of that check, and stay.
CREATE TABLE issuer_audits (
	order_id   TEXT    PRIMARY KEY,
	ended_as   TEXT    NOT NULL CHECK (ended_as IN ('expired', 'cancelled')),
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
