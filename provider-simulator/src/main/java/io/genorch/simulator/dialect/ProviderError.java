package io.genorch.simulator.dialect;

import java.util.List;

/**
 * An error answer before rendering: status, kind, a message and (for validation) field problems.
 *
 * @param status   HTTP status
 * @param kind     what went wrong
 * @param message  human-readable (or a provider code such as INSUFFICIENT_CREDITS)
 * @param problems field problems of a validation error (may be empty)
 */
public record ProviderError(int status, ErrorKind kind, String message, List<FieldProblem> problems) {

  public ProviderError {
    problems = problems == null ? List.of() : List.copyOf(problems);
  }

  public static ProviderError unauthorized(String message) {
    return new ProviderError(401, ErrorKind.UNAUTHORIZED, message, List.of());
  }

  public static ProviderError notFound(String message) {
    return new ProviderError(404, ErrorKind.NOT_FOUND, message, List.of());
  }

  public static ProviderError validation(int status, String message) {
    return new ProviderError(status, ErrorKind.VALIDATION, message, List.of());
  }

  public static ProviderError validation(List<FieldProblem> problems) {
    return new ProviderError(422, ErrorKind.VALIDATION,
        problems.isEmpty() ? "Validation error" : problems.get(0).msg(), problems);
  }

  /** An error for a simulated status code (fault injection): 400/422 validation, 402, 404, 429, 503, else 5xx. */
  public static ProviderError simulated(int status) {
    switch (status) {
      case 400:
        return validation(400, "Validation error: simulated invalid request");
      case 422:
        return validation(List.of(new FieldProblem("value_error", "prompt", "Value error, simulated invalid input",
            null)));
      case 401:
        return unauthorized("Invalid credentials");
      case 402:
        return new ProviderError(402, ErrorKind.INSUFFICIENT_CREDITS, "INSUFFICIENT_CREDITS", List.of());
      case 404:
        return notFound("Not found");
      case 429:
        return new ProviderError(429, ErrorKind.RATE_LIMITED, "Rate limit exceeded", List.of());
      case 503:
        return new ProviderError(503, ErrorKind.UNAVAILABLE, "Service temporarily unavailable", List.of());
      default:
        return new ProviderError(status, status >= 500 ? ErrorKind.SERVER_ERROR : ErrorKind.VALIDATION,
            status >= 500 ? "Internal server error" : "Request rejected", List.of());
    }
  }
}
