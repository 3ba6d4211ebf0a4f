-- The first schema of the coordinator's store. ${binary} is VARBINARY on H2, BYTEA on PostgreSQL.
CREATE TABLE jobs (
  job_id VARCHAR(64) PRIMARY KEY,
  config ${binary} NOT NULL,
  state VARCHAR(32) NOT NULL,
  completed_rounds INT NOT NULL,
  latest_version INT NOT NULL,
  latest_sha256 CHAR(64) NOT NULL,
  created_ms BIGINT NOT NULL,
  failure_reason VARCHAR NOT NULL);

CREATE TABLE rounds (
  job_id VARCHAR(64) NOT NULL REFERENCES jobs(job_id),
  round INT NOT NULL,
  state VARCHAR(32) NOT NULL,
  summary ${binary} NOT NULL,
  PRIMARY KEY (job_id, round));

CREATE TABLE adapter_versions (
  job_id VARCHAR(64) NOT NULL REFERENCES jobs(job_id),
  version INT NOT NULL,
  sha256 CHAR(64) NOT NULL,
  size_bytes BIGINT NOT NULL,
  created_ms BIGINT NOT NULL,
  PRIMARY KEY (job_id, version));

CREATE TABLE nodes (
  node_id VARCHAR(64) PRIMARY KEY,
  node_name VARCHAR NOT NULL,
  base_models VARCHAR NOT NULL,
  num_examples BIGINT NOT NULL,
  device VARCHAR NOT NULL,
  last_seen_ms BIGINT NOT NULL);
