package io.genorch.simulator.dialect;

/** Where a simulated job is in its life; each dialect names these with its provider's own status words. */
public enum Phase {
  PENDING,
  PROCESSING,
  SUCCEEDED,
  FAILED;

  public boolean terminal() {
    return this == SUCCEEDED || this == FAILED;
  }
}
