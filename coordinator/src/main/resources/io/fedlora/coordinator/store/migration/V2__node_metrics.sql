CREATE TABLE node_metrics (
  job_id VARCHAR(64) NOT NULL,
  round INT NOT NULL,
  node_id VARCHAR(64) NOT NULL,
  name VARCHAR(64) NOT NULL,
  metric_value DOUBLE PRECISION NOT NULL,
  reported_ms BIGINT NOT NULL,
  PRIMARY KEY (job_id, round, node_id, name));
