package io.genorch.simulator.dialect;

import java.util.LinkedHashMap;
import java.util.Map;

/** The five dialects, by provider id. */
public final class Dialects {

  private Dialects() {
  }

  /** A fresh map of every dialect, in the order of {@code ProviderSimulator.PROVIDERS}. */
  public static Map<String, ProviderDialect> all() {
    Map<String, ProviderDialect> m = new LinkedHashMap<>();
    for (ProviderDialect d : new ProviderDialect[] {
        new Heo365Sora2Dialect(), new RunblobSoraDialect(), new VidgoDialect(), new ApimartDialect(),
        new RunblobKlingO3Dialect()}) {
      m.put(d.id(), d);
    }
    return m;
  }
}
