package io.genorch.common.testing;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The providers' example payloads copied from the seed documents into test resources ({@code /seeds}). */
public final class Seeds {

  private Seeds() {}

  public static String text(String name) {
    try (InputStream in = Seeds.class.getResourceAsStream("/seeds/" + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no seed payload " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static JsonObject json(String name) {
    return new JsonObject(text(name));
  }
}
