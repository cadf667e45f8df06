package io.genorch.common.provider;

import java.util.List;
import java.util.Optional;

/** The providers this build knows, in the order of docs/API.md. Adding a provider is one line here plus its class. */
public final class Providers {

  private final List<ProviderAdapter> adapters;

  private Providers(List<ProviderAdapter> adapters) {
    this.adapters = List.copyOf(adapters);
  }

  public static Providers all() {
    return new Providers(List.of(
        new Heo365Sora2Adapter(),
        new RunblobSoraAdapter(),
        new VidgoAdapter(),
        new ApimartAdapter(),
        new RunblobKlingO3Adapter()));
  }

  public List<ProviderAdapter> list() {
    return adapters;
  }

  public List<String> ids() {
    return adapters.stream().map(ProviderAdapter::id).toList();
  }

  public Optional<ProviderAdapter> find(String providerId) {
    return adapters.stream().filter(a -> a.id().equals(providerId)).findFirst();
  }
}
