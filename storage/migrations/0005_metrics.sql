-- Figures for /metrics, kept by triggers in the same transactions that
-- change the rows they count: a scrape then reads a few small rows rather
-- than scanning the history of orders and messages, the figures survive
-- restarts, and the bot's code needs no hooks to keep them.

-- Counters (messages read and processed, replies sent and refused) and
-- gauges (orders by state), by name and label.
CREATE TABLE metric_counts (
	name  TEXT    NOT NULL,
	label TEXT    NOT NULL,
	value INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (name, label)
);

-- A histogram per label: cumulative buckets (le in seconds; 1e15 stands
-- for +Inf), with its sum (milliseconds) in metric_counts.
CREATE TABLE metric_buckets (
	name  TEXT    NOT NULL,
	label TEXT    NOT NULL,
	le    REAL    NOT NULL,
	count INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (name, label, le)
);

-- One row that readiness rewrites to prove the database takes writes.
CREATE TABLE health_probe (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	at INTEGER NOT NULL
);

-- What the figures need to stay cheap: failed messages are counted at
-- every scrape, and a DM answer finds its message by who and when.
CREATE INDEX inbox_failed ON inbox (id) WHERE state = 'failed';
CREATE INDEX inbox_user_processed ON inbox (user_id, processed_at);

-- Start from what a database made before this migration holds.
INSERT INTO metric_counts (name, label, value)
	SELECT 'orders', state, COUNT(*) FROM orders GROUP BY state;
INSERT INTO metric_counts (name, label, value)
	SELECT 'read', channel, COUNT(*) FROM inbox GROUP BY channel;
INSERT INTO metric_counts (name, label, value)
	SELECT 'processed', CASE WHEN instr(action, ':') > 0 THEN substr(action, 1, instr(action, ':') - 1) ELSE action END, COUNT(*)
	FROM inbox WHERE state = 'done' GROUP BY 2;
INSERT INTO metric_counts (name, label, value)
	SELECT 'sent', channel, COUNT(*) FROM outbox WHERE state = 'sent' GROUP BY channel;
INSERT INTO metric_counts (name, label, value)
	SELECT 'refused', channel, COUNT(*) FROM outbox WHERE state = 'failed' GROUP BY channel;
INSERT INTO metric_buckets (name, label, le)
	SELECT 'answer', c.channel, b.le
	FROM (SELECT 'tweet' AS channel UNION ALL SELECT 'dm') c,
	     (SELECT 1 AS le UNION ALL SELECT 2 UNION ALL SELECT 5 UNION ALL SELECT 10 UNION ALL SELECT 20
	      UNION ALL SELECT 30 UNION ALL SELECT 60 UNION ALL SELECT 120 UNION ALL SELECT 300
	      UNION ALL SELECT 600 UNION ALL SELECT 1800 UNION ALL SELECT 3600 UNION ALL SELECT 1e15) b;
INSERT INTO metric_counts (name, label, value) VALUES ('answer_ms_sum', 'tweet', 0), ('answer_ms_sum', 'dm', 0);

CREATE TRIGGER metric_order_new AFTER INSERT ON orders BEGIN
	INSERT INTO metric_counts (name, label, value) VALUES ('orders', NEW.state, 1)
		ON CONFLICT (name, label) DO UPDATE SET value = value + 1;
END;

CREATE TRIGGER metric_order_state AFTER UPDATE OF state ON orders WHEN OLD.state != NEW.state BEGIN
	UPDATE metric_counts SET value = value - 1 WHERE name = 'orders' AND label = OLD.state;
	INSERT INTO metric_counts (name, label, value) VALUES ('orders', NEW.state, 1)
		ON CONFLICT (name, label) DO UPDATE SET value = value + 1;
END;

CREATE TRIGGER metric_order_gone AFTER DELETE ON orders BEGIN
	UPDATE metric_counts SET value = value - 1 WHERE name = 'orders' AND label = OLD.state;
END;

CREATE TRIGGER metric_read AFTER INSERT ON inbox BEGIN
	INSERT INTO metric_counts (name, label, value) VALUES ('read', NEW.channel, 1)
		ON CONFLICT (name, label) DO UPDATE SET value = value + 1;
END;

-- An action's detail after a colon ("skip: older than 24h0m0s") is left
-- out of the label, so that the labels stay few.
CREATE TRIGGER metric_processed AFTER UPDATE OF state ON inbox WHEN NEW.state = 'done' AND OLD.state != 'done' BEGIN
	INSERT INTO metric_counts (name, label, value)
		VALUES ('processed', CASE WHEN instr(NEW.action, ':') > 0 THEN substr(NEW.action, 1, instr(NEW.action, ':') - 1) ELSE NEW.action END, 1)
		ON CONFLICT (name, label) DO UPDATE SET value = value + 1;
END;

CREATE TRIGGER metric_refused AFTER UPDATE OF state ON outbox WHEN NEW.state = 'failed' AND OLD.state != 'failed' BEGIN
	INSERT INTO metric_counts (name, label, value) VALUES ('refused', NEW.channel, 1)
		ON CONFLICT (name, label) DO UPDATE SET value = value + 1;
END;

-- A reply sent counts, and so does how long after the cardholder's
-- message it went out: the tweet it replies to, else the DM it answered
-- in the same transaction, else (a receipt by DM) the order's
-- confirmation. Announcements and other news answer no message.
CREATE TRIGGER metric_sent AFTER UPDATE OF state ON outbox WHEN NEW.state = 'sent' AND OLD.state != 'sent' BEGIN
	INSERT INTO metric_counts (name, label, value) VALUES ('sent', NEW.channel, 1)
		ON CONFLICT (name, label) DO UPDATE SET value = value + 1;
	UPDATE metric_counts SET value = value + max(0, NEW.sent_at - (
			SELECT COALESCE(
				(SELECT posted_at FROM inbox WHERE NEW.in_reply_to != 0 AND channel = 'tweet' AND message_id = NEW.in_reply_to),
				(SELECT posted_at FROM inbox WHERE NEW.channel = 'dm' AND user_id = NEW.user_id AND processed_at = NEW.created_at AND +channel = 'dm' ORDER BY message_id DESC LIMIT 1),
				(SELECT i.posted_at FROM orders o JOIN inbox i ON i.channel = o.confirm_channel AND i.message_id = o.confirm_message_id
					WHERE NEW.order_id != '' AND o.id = NEW.order_id AND o.confirm_message_id != 0))))
		WHERE name = 'answer_ms_sum' AND label = NEW.channel AND NEW.user_id != 0 AND NEW.sent_at > 0 AND (
			SELECT COALESCE(
				(SELECT posted_at FROM inbox WHERE NEW.in_reply_to != 0 AND channel = 'tweet' AND message_id = NEW.in_reply_to),
				(SELECT posted_at FROM inbox WHERE NEW.channel = 'dm' AND user_id = NEW.user_id AND processed_at = NEW.created_at AND +channel = 'dm' ORDER BY message_id DESC LIMIT 1),
				(SELECT i.posted_at FROM orders o JOIN inbox i ON i.channel = o.confirm_channel AND i.message_id = o.confirm_message_id
					WHERE NEW.order_id != '' AND o.id = NEW.order_id AND o.confirm_message_id != 0))) IS NOT NULL;
	UPDATE metric_buckets SET count = count + 1
		WHERE name = 'answer' AND label = NEW.channel AND NEW.user_id != 0 AND NEW.sent_at > 0 AND le * 1000 >= max(0, NEW.sent_at - (
			SELECT COALESCE(
				(SELECT posted_at FROM inbox WHERE NEW.in_reply_to != 0 AND channel = 'tweet' AND message_id = NEW.in_reply_to),
				(SELECT posted_at FROM inbox WHERE NEW.channel = 'dm' AND user_id = NEW.user_id AND processed_at = NEW.created_at AND +channel = 'dm' ORDER BY message_id DESC LIMIT 1),
				(SELECT i.posted_at FROM orders o JOIN inbox i ON i.channel = o.confirm_channel AND i.message_id = o.confirm_message_id
					WHERE NEW.order_id != '' AND o.id = NEW.order_id AND o.confirm_message_id != 0))));
END;
