package io.genorch.common.config;

import java.util.List;

/** One or more {@code ORCH_*} variables hold values the service does not accept; the message lists each. */
public final class InvalidSettingsException extends IllegalArgumentException {

  private final List<String> problems;

  public InvalidSettingsException(List<String> problems) {
    super(String.join("; ", problems));
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }
}
