-- A run of the refund command that is asking the issuer about a pending
-- refund holds it until then (Unix ms), so that a second run started
-- meanwhile is told so instead of asking too; 0 when no run holds it.
ALTER TABLE refunds ADD COLUMN held_until INTEGER NOT NULL DEFAULT 0;
