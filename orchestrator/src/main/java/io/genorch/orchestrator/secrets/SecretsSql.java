package io.genorch.orchestrator.secrets;

/** Every SQL statement of the stored secrets (V8). */
final class SecretsSql {

  private SecretsSql() {}

  /** One row updated: this instance made the secret. None: another instance (or an earlier start) already had. */
  static final String INSERT_IF_ABSENT = "INSERT INTO service_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING";

  static final String SELECT = "SELECT value FROM service_secrets WHERE name = ?";
}
