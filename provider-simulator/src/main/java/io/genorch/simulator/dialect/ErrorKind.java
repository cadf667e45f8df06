package io.genorch.simulator.dialect;

/** The kinds of error answer a provider gives; each dialect renders them in its own shape. */
public enum ErrorKind {
  UNAUTHORIZED,
  NOT_FOUND,
  INSUFFICIENT_CREDITS,
  VALIDATION,
  RATE_LIMITED,
  SERVER_ERROR,
  UNAVAILABLE
}
