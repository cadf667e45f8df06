package io.genorch.common.domain;

import java.util.Arrays;
import java.util.Optional;

/** The statuses of docs/API.md section 1, in lifecycle order. */
public enum GenerationStatus {
  QUEUED("queued", 0),
  SUBMITTED("submitted", 1),
  PROCESSING("processing", 2),
  SUCCEEDED("succeeded", 3),
  FAILED("failed", 3),
  TIMED_OUT("timed_out", 3);

  private final String wire;
  private final int rank;

  GenerationStatus(String wire, int rank) {
    this.wire = wire;
    this.rank = rank;
  }

  public String wire() {
    return wire;
  }

  /** Position in the lifecycle; a generation only ever moves to a higher rank. */
  public int rank() {
    return rank;
  }

  public boolean isTerminal() {
    return rank == 3;
  }

  public static Optional<GenerationStatus> fromWire(String wire) {
    return Arrays.stream(values()).filter(s -> s.wire.equals(wire)).findFirst();
  }

  @Override
  public String toString() {
    return wire;
  }
}
