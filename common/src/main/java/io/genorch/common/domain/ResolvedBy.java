package io.genorch.common.domain;

/** Which path brought a generation to its terminal status. */
public enum ResolvedBy {
  WEBHOOK("webhook"),
  POLL("poll"),
  TIMEOUT("timeout"),
  SUBMIT("submit");

  private final String wire;

  ResolvedBy(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }

  public static ResolvedBy fromWire(String wire) {
    for (ResolvedBy r : values()) {
      if (r.wire.equals(wire)) {
        return r;
      }
    }
    throw new IllegalArgumentException("unknown resolvedBy " + wire);
  }
}
