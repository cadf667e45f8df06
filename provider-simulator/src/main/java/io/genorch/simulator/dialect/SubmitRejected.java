package io.genorch.simulator.dialect;

/** Thrown by a dialect's validation: the submit is answered with this error and no job is created. */
public final class SubmitRejected extends RuntimeException {

  private final transient ProviderError error;

  public SubmitRejected(ProviderError error) {
    super(error.message(), null, false, false);
    this.error = error;
  }

  public ProviderError error() {
    return error;
  }
}
