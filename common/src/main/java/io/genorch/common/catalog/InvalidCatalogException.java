package io.genorch.common.catalog;

import java.util.List;

/** A catalog (file) that cannot be used, with every problem found in it. */
public final class InvalidCatalogException extends RuntimeException {

  private final List<String> problems;

  public InvalidCatalogException(List<String> problems) {
    super(String.join("; ", problems));
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }
}
