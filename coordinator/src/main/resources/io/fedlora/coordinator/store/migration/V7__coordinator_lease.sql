-- Which coordinator is active, when several share this store: one row per lease. The holder renews
-- it before expires_ms (database time); each new holder bumps epoch, and fenced writes check it.
CREATE TABLE coordinator_lease (
    name VARCHAR(64) PRIMARY KEY,
    holder VARCHAR(200) NOT NULL,
    holder_address VARCHAR(300) NOT NULL,
    epoch BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL
);
