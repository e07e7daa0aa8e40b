-- 0010_purge_indexes.sql - let retention purges find old sent/dead mail and
-- finished webhook deliveries without scanning the tables.

CREATE INDEX email_outbox_purge ON email_outbox (created_at) WHERE status IN ('sent', 'dead');
CREATE INDEX webhook_deliveries_purge ON webhook_deliveries (created_at)
	WHERE status IN ('delivered', 'dead');
