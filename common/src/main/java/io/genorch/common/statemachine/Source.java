package io.genorch.common.statemachine;

/** Who asks for a change: every writer of a generation names itself. */
public enum Source {
  SUBMIT,
  WEBHOOK,
  POLL,
  TIMEOUT
}
