package io.genorch.orchestrator.secrets;

import io.genorch.common.config.OrchConfig;
import io.genorch.common.domain.WebhookTokens;
import io.genorch.common.persistence.Database;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API keys and the client-callback secret this service runs with. Values set in ORCH_API_KEYS and
 * ORCH_CALLBACK_SECRET win; a missing one is generated once per database and kept there (table service_secrets), so
 * every instance and every restart uses the same: a key logged at the first start keeps working, and callbacks
 * retried after a restart are signed with the secret the client was given. Instances starting together agree, since
 * the first insert wins and everyone reads the stored row back.
 *
 * @param apiKeyHashes the SHA-256 of each accepted API key
 * @param callbackSecret the {@code whsec_…} secret client callbacks are signed with
 */
public record ServiceSecrets(List<byte[]> apiKeyHashes, String callbackSecret) {

  private static final Logger LOG = LoggerFactory.getLogger(ServiceSecrets.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  static final String API_KEY_SHA256 = "api_key_sha256";
  static final String CALLBACK_SECRET = "callback_secret";

  /** Blocking (JDBC): called at start, once the database is migrated and before Vert.x runs. */
  public static ServiceSecrets resolve(Database database, OrchConfig config) {
    List<String> configuredKeys = config.apiKeys();
    var configuredSecret = config.callbackSecret();
    if (!configuredKeys.isEmpty() && configuredSecret.isPresent()) {
      return new ServiceSecrets(configuredKeys.stream().map(WebhookTokens::hash).toList(), configuredSecret.get());
    }
    var options = database.connectOptions();
    try (Connection connection = DriverManager.getConnection(database.jdbcUrl(), options.getUser(), options.getPassword())) {
      List<byte[]> keyHashes = configuredKeys.isEmpty()
          ? List.of(storedApiKeyHash(connection))
          : configuredKeys.stream().map(WebhookTokens::hash).toList();
      String secret = configuredSecret.isPresent() ? configuredSecret.get() : storedCallbackSecret(connection);
      return new ServiceSecrets(keyHashes, secret);
    } catch (SQLException e) {
      throw new IllegalStateException("could not read or store the generated API key and callback secret", e);
    }
  }

  private static byte[] storedApiKeyHash(Connection connection) throws SQLException {
    byte[] random = new byte[24];
    RANDOM.nextBytes(random);
    String key = "gk_" + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    if (insertIfAbsent(connection, API_KEY_SHA256, HexFormat.of().formatHex(WebhookTokens.hash(key)))) {
      // the only time the key exists in clear: the database keeps its hash
      LOG.warn("ORCH_API_KEYS is not set; generated this API key for every instance and restart on this database,"
          + " shown only now (set ORCH_API_KEYS to choose your own): {}", key);
    } else {
      LOG.info("ORCH_API_KEYS is not set; using the API key generated at this database's first start and logged then"
          + " (set ORCH_API_KEYS to choose your own)");
    }
    return HexFormat.of().parseHex(stored(connection, API_KEY_SHA256));
  }

  private static String storedCallbackSecret(Connection connection) throws SQLException {
    byte[] random = new byte[32];
    RANDOM.nextBytes(random);
    String secret = "whsec_" + Base64.getEncoder().encodeToString(random);
    if (insertIfAbsent(connection, CALLBACK_SECRET, secret)) {
      LOG.warn("ORCH_CALLBACK_SECRET is not set; generated this client-callback signing secret for every instance and"
          + " restart on this database (set ORCH_CALLBACK_SECRET to choose your own): {}", secret);
    } else {
      LOG.info("ORCH_CALLBACK_SECRET is not set; signing client callbacks with the secret generated at this database's"
          + " first start (table service_secrets)");
    }
    return stored(connection, CALLBACK_SECRET);
  }

  private static boolean insertIfAbsent(Connection connection, String name, String value) throws SQLException {
    try (PreparedStatement insert = connection.prepareStatement(SecretsSql.INSERT_IF_ABSENT)) {
      insert.setString(1, name);
      insert.setString(2, value);
      return insert.executeUpdate() == 1;
    }
  }

  private static String stored(Connection connection, String name) throws SQLException {
    try (PreparedStatement select = connection.prepareStatement(SecretsSql.SELECT)) {
      select.setString(1, name);
      try (ResultSet rs = select.executeQuery()) {
        if (!rs.next()) {
          throw new IllegalStateException("service_secrets has no " + name + " although it was just inserted");
        }
        return rs.getString(1);
      }
    }
  }
}
