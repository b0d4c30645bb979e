-- Counters, so that a decision costs the same at the millionth order as
-- at the first: nothing on the message path counts the orders' history.
-- Triggers keep them, in the same transaction as the change to the order
-- they count, whatever statement makes it.

-- Per offer. An order holds stock (conversations.State.HoldsStock) while
-- pending, confirmed, parked or paid: held = reserved + sold.
CREATE TABLE offer_stock (
	offer_id TEXT    PRIMARY KEY,
	reserved INTEGER NOT NULL DEFAULT 0, -- pending, confirmed or parked
	charging INTEGER NOT NULL DEFAULT 0, -- confirmed or parked (part of reserved)
	sold     INTEGER NOT NULL DEFAULT 0, -- paid
	revenue  INTEGER NOT NULL DEFAULT 0, -- paid amounts less refunds, minor units
	currency TEXT    NOT NULL DEFAULT '' -- the greatest of its orders' (they share one)
) WITHOUT ROWID;

-- Per cardholder and offer: the orders that hold stock, as the per-user
-- limit counts them (a pending request whose window closed still counts
-- here; the decision, which sees the cardholder's pending orders, leaves
-- those out).
CREATE TABLE holdings (
	user_id  INTEGER NOT NULL,
	offer_id TEXT    NOT NULL,
	held     INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (user_id, offer_id)
) WITHOUT ROWID;

INSERT INTO offer_stock (offer_id, reserved, charging, sold, revenue, currency)
SELECT offer_id,
	SUM(state IN ('pending', 'confirmed', 'parked')),
	SUM(state IN ('confirmed', 'parked')),
	SUM(state = 'paid'),
	SUM(CASE WHEN state = 'paid' THEN amount - refunded_amount ELSE 0 END),
	MAX(currency)
FROM orders GROUP BY offer_id;

INSERT INTO holdings (user_id, offer_id, held)
SELECT user_id, offer_id, COUNT(*) FROM orders
WHERE state IN ('pending', 'confirmed', 'parked', 'paid') GROUP BY user_id, offer_id;

CREATE TRIGGER orders_count_insert AFTER INSERT ON orders BEGIN
	INSERT OR IGNORE INTO offer_stock (offer_id, currency) VALUES (NEW.offer_id, NEW.currency);
	UPDATE offer_stock SET
		reserved = reserved + (NEW.state IN ('pending', 'confirmed', 'parked')),
		charging = charging + (NEW.state IN ('confirmed', 'parked')),
		sold = sold + (NEW.state = 'paid'),
		revenue = revenue + CASE WHEN NEW.state = 'paid' THEN NEW.amount - NEW.refunded_amount ELSE 0 END,
		currency = MAX(currency, NEW.currency)
	WHERE offer_id = NEW.offer_id;
	INSERT OR IGNORE INTO holdings (user_id, offer_id) SELECT NEW.user_id, NEW.offer_id
		WHERE NEW.state IN ('pending', 'confirmed', 'parked', 'paid');
	UPDATE holdings SET held = held + 1
		WHERE NEW.state IN ('pending', 'confirmed', 'parked', 'paid') AND user_id = NEW.user_id AND offer_id = NEW.offer_id;
END;

CREATE TRIGGER orders_count_update AFTER UPDATE OF state, offer_id, user_id, amount, refunded_amount ON orders
WHEN OLD.state IS NOT NEW.state OR OLD.offer_id IS NOT NEW.offer_id OR OLD.user_id IS NOT NEW.user_id
	OR OLD.amount IS NOT NEW.amount OR OLD.refunded_amount IS NOT NEW.refunded_amount
BEGIN
	UPDATE offer_stock SET
		reserved = reserved - (OLD.state IN ('pending', 'confirmed', 'parked')),
		charging = charging - (OLD.state IN ('confirmed', 'parked')),
		sold = sold - (OLD.state = 'paid'),
		revenue = revenue - CASE WHEN OLD.state = 'paid' THEN OLD.amount - OLD.refunded_amount ELSE 0 END
	WHERE offer_id = OLD.offer_id;
	INSERT OR IGNORE INTO offer_stock (offer_id, currency) VALUES (NEW.offer_id, NEW.currency);
	UPDATE offer_stock SET
		reserved = reserved + (NEW.state IN ('pending', 'confirmed', 'parked')),
		charging = charging + (NEW.state IN ('confirmed', 'parked')),
		sold = sold + (NEW.state = 'paid'),
		revenue = revenue + CASE WHEN NEW.state = 'paid' THEN NEW.amount - NEW.refunded_amount ELSE 0 END,
		currency = MAX(currency, NEW.currency)
	WHERE offer_id = NEW.offer_id;
	UPDATE holdings SET held = held - 1
		WHERE OLD.state IN ('pending', 'confirmed', 'parked', 'paid') AND user_id = OLD.user_id AND offer_id = OLD.offer_id;
	INSERT OR IGNORE INTO holdings (user_id, offer_id) SELECT NEW.user_id, NEW.offer_id
		WHERE NEW.state IN ('pending', 'confirmed', 'parked', 'paid');
	UPDATE holdings SET held = held + 1
		WHERE NEW.state IN ('pending', 'confirmed', 'parked', 'paid') AND user_id = NEW.user_id AND offer_id = NEW.offer_id;
END;

-- Orders are never deleted; should one be (by hand), the counters follow.
CREATE TRIGGER orders_count_delete AFTER DELETE ON orders BEGIN
	UPDATE offer_stock SET
		reserved = reserved - (OLD.state IN ('pending', 'confirmed', 'parked')),
		charging = charging - (OLD.state IN ('confirmed', 'parked')),
		sold = sold - (OLD.state = 'paid'),
		revenue = revenue - CASE WHEN OLD.state = 'paid' THEN OLD.amount - OLD.refunded_amount ELSE 0 END
	WHERE offer_id = OLD.offer_id;
	UPDATE holdings SET held = held - 1
		WHERE OLD.state IN ('pending', 'confirmed', 'parked', 'paid') AND user_id = OLD.user_id AND offer_id = OLD.offer_id;
END;

-- The admin listings, newest first, read only the rows they print.
CREATE INDEX orders_created ON orders (created_at, id);
CREATE INDEX orders_offer_created ON orders (offer_id, created_at, id);
CREATE INDEX orders_state_created ON orders (state, created_at, id);
-- The counters answer what this one was for (stock per offer).
DROP INDEX orders_offer_state;
-- A cardholder's orders that are still live, without their history.
CREATE INDEX orders_user_state ON orders (user_id, state);

-- The next message to decide, per channel, and the next replies to send,
-- found among the rows with work left rather than among all of them.
CREATE INDEX inbox_pending_channel ON inbox (channel, message_id) WHERE state = 'pending';
CREATE INDEX outbox_open_id ON outbox (id) WHERE state IN ('pending', 'sending');

-- Expiry asks, per pending request, whether its owner has a message
-- waiting; a decision asks whether a request of theirs is being posted.
CREATE INDEX outbox_sending ON outbox (user_id) WHERE state = 'sending';
-- A decision counts the requests queued for the cardholder's pending
-- orders, from those orders.
CREATE INDEX outbox_requests ON outbox (order_id) WHERE is_request = 1;

-- Retention finds what it has not compacted yet without reading history.
CREATE INDEX inbox_compact ON inbox (processed_at) WHERE state = 'done' AND text != '';
CREATE INDEX outbox_compact ON outbox (sent_at) WHERE state = 'sent' AND text != '';

-- A reply made by deciding about a message names that inbox row: when
-- several cardholders' messages are decided in one transaction, the
-- transaction's time no longer tells which message a DM answers. Replies
-- queued before this migration get it by the old rule (who, and when).
ALTER TABLE outbox ADD COLUMN answers_inbox_id INTEGER NOT NULL DEFAULT 0;
UPDATE outbox SET answers_inbox_id = COALESCE((SELECT i.id FROM inbox i
		WHERE i.user_id = outbox.user_id AND i.processed_at = outbox.created_at AND +i.channel = 'dm'
		ORDER BY i.message_id DESC LIMIT 1), 0)
	WHERE channel = 'dm' AND state != 'sent';
-- The old rule's index, which nothing reads now.
DROP INDEX inbox_user_processed;

-- As in 0005, but a DM answer finds its message by that row.
DROP TRIGGER metric_sent;
CREATE TRIGGER metric_sent AFTER UPDATE OF state ON outbox WHEN NEW.state = 'sent' AND OLD.state != 'sent' BEGIN
	INSERT INTO metric_counts (name, label, value) VALUES ('sent', NEW.channel, 1)
		ON CONFLICT (name, label) DO UPDATE SET value = value + 1;
	UPDATE metric_counts SET value = value + max(0, NEW.sent_at - (
			SELECT COALESCE(
				(SELECT posted_at FROM inbox WHERE NEW.in_reply_to != 0 AND channel = 'tweet' AND message_id = NEW.in_reply_to),
				(SELECT posted_at FROM inbox WHERE NEW.channel = 'dm' AND id = NEW.answers_inbox_id AND user_id = NEW.user_id AND channel = 'dm'),
				(SELECT i.posted_at FROM orders o JOIN inbox i ON i.channel = o.confirm_channel AND i.message_id = o.confirm_message_id
					WHERE NEW.order_id != '' AND o.id = NEW.order_id AND o.confirm_message_id != 0))))
		WHERE name = 'answer_ms_sum' AND label = NEW.channel AND NEW.user_id != 0 AND NEW.sent_at > 0 AND (
			SELECT COALESCE(
				(SELECT posted_at FROM inbox WHERE NEW.in_reply_to != 0 AND channel = 'tweet' AND message_id = NEW.in_reply_to),
				(SELECT posted_at FROM inbox WHERE NEW.channel = 'dm' AND id = NEW.answers_inbox_id AND user_id = NEW.user_id AND channel = 'dm'),
				(SELECT i.posted_at FROM orders o JOIN inbox i ON i.channel = o.confirm_channel AND i.message_id = o.confirm_message_id
					WHERE NEW.order_id != '' AND o.id = NEW.order_id AND o.confirm_message_id != 0))) IS NOT NULL;
	UPDATE metric_buckets SET count = count + 1
		WHERE name = 'answer' AND label = NEW.channel AND NEW.user_id != 0 AND NEW.sent_at > 0 AND le * 1000 >= max(0, NEW.sent_at - (
			SELECT COALESCE(
				(SELECT posted_at FROM inbox WHERE NEW.in_reply_to != 0 AND channel = 'tweet' AND message_id = NEW.in_reply_to),
				(SELECT posted_at FROM inbox WHERE NEW.channel = 'dm' AND id = NEW.answers_inbox_id AND user_id = NEW.user_id AND channel = 'dm'),
				(SELECT i.posted_at FROM orders o JOIN inbox i ON i.channel = o.confirm_channel AND i.message_id = o.confirm_message_id
					WHERE NEW.order_id != '' AND o.id = NEW.order_id AND o.confirm_message_id != 0))));
END;
