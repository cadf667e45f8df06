package io.genorch.orchestrator;

import io.genorch.common.config.InvalidSettingsException;
import io.genorch.common.config.Setting;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import io.vertx.core.Future;
import java.util.List;

/** A port that is taken is reported with the variable that chose it, before the database starts where possible. */
final class Ports {

  private Ports() {}

  /** Refuses the start when something listens on {@code port} already (0, any free port, always passes). */
  static void requireFree(Setting<Integer> setting, int port) {
    if (port == 0) {
      return;
    }
    try (ServerSocket probe = new ServerSocket()) {
      probe.bind(new InetSocketAddress(port));
    } catch (IOException e) {
      throw inUse(setting, port);
    }
  }

  /**
   * The deployment of the server listening on {@code port}: when its listen fails because the port was taken
   * meanwhile (after {@link #requireFree}), the failure says which variable and port.
   */
  static Future<String> explainBindFailure(Future<String> deployment, Setting<Integer> setting, int port) {
    return deployment.recover(failure -> {
      for (Throwable t = failure; t != null; t = t.getCause()) {
        if (t instanceof BindException) {
          return Future.failedFuture(inUse(setting, port));
        }
      }
      return Future.failedFuture(failure);
    });
  }

  private static InvalidSettingsException inUse(Setting<Integer> setting, int port) {
    return new InvalidSettingsException(List.of(setting.name() + "=" + port
        + " is already in use: stop what listens on it, or choose another port with " + setting.name()));
  }
}
