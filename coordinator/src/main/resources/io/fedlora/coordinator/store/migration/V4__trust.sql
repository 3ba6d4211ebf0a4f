-- Enrollment tokens (only their hashes), issued certificates, revocations, the audit log.
CREATE TABLE enrollment_tokens (
  token_sha256 CHAR(64) PRIMARY KEY,
  name VARCHAR(64) NOT NULL,
  role VARCHAR(16) NOT NULL,
  created_ms BIGINT NOT NULL,
  expires_ms BIGINT NOT NULL,
  created_by VARCHAR(64) NOT NULL,
  used_ms BIGINT DEFAULT 0 NOT NULL,
  used_by VARCHAR(64) DEFAULT '' NOT NULL);

CREATE TABLE certificates (
  serial VARCHAR(40) PRIMARY KEY,
  subject_id VARCHAR(64) NOT NULL,
  name VARCHAR(64) NOT NULL,
  role VARCHAR(16) NOT NULL,
  identity_key VARCHAR(64) DEFAULT '' NOT NULL,
  issued_ms BIGINT NOT NULL,
  expires_ms BIGINT NOT NULL);

CREATE INDEX certificates_subject ON certificates(subject_id);

CREATE TABLE revocations (
  subject_id VARCHAR(64) PRIMARY KEY,
  revoked_ms BIGINT NOT NULL,
  revoked_by VARCHAR(64) NOT NULL,
  reason VARCHAR(256) NOT NULL);

CREATE TABLE audit_log (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at_ms BIGINT NOT NULL,
  actor VARCHAR(64) NOT NULL,
  actor_role VARCHAR(16) NOT NULL,
  action VARCHAR(128) NOT NULL,
  target VARCHAR(512) NOT NULL,
  outcome VARCHAR(32) NOT NULL,
  detail VARCHAR(1024) NOT NULL);
