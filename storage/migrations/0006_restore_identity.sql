-- Restore-safe identity. Orders made from now on take an id derived from
-- their buy message (channel and id) and offer, so that a buy read again
-- after a restore from a replica is the same order, with the same issuer
-- reference and idempotency key. Orders made before keep their random ids:
-- those ids are their reference at the issuer and what admins look them
-- up and refund by, so nothing is renamed. random_id marks them, since a
-- restore to a point before such an order's buy could not recognise it
-- when it is read again.
ALTER TABLE orders ADD COLUMN random_id INTEGER NOT NULL DEFAULT 0;
UPDATE orders SET random_id = 1;
