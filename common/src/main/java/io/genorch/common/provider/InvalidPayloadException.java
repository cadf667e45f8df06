package io.genorch.common.provider;

/** A webhook or provider answer that is not the provider's documented JSON. */
public class InvalidPayloadException extends RuntimeException {
  public InvalidPayloadException(String message) {
    super(message);
  }
}
