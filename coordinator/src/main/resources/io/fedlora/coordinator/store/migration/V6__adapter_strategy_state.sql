-- The blob holding a server optimizer's state with each adapter version; '' for stateless strategies.
ALTER TABLE adapter_versions ADD COLUMN strategy_state_sha256 CHAR(64) DEFAULT '' NOT NULL;
