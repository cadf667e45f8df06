package io.genorch.common.config;

import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * One {@code ORCH_*} environment variable: its name, its default, how its text becomes a value, and how it is shown
 * in the start-up log. Every one of them is a constant of {@link Settings}; {@link OrchConfig#get(Setting)} reads it.
 *
 * @param name the variable
 * @param defaultValue the value when the variable is unset or blank (may be an empty Optional for optional ones)
 * @param defaultText the default as the README and {@code --help} show it
 * @param accepted what the parser accepts, as the error message and {@code --help} say it ("a port 0..65535")
 * @param parser text to value; throws {@link IllegalArgumentException} for text it does not accept
 * @param display how a set value is shown in the effective-settings log: secrets are masked
 * @param meaning one line for {@code --help}
 */
public record Setting<T>(
    String name,
    T defaultValue,
    String defaultText,
    String accepted,
    Function<String, T> parser,
    UnaryOperator<String> display,
    String meaning) {

  static final String MASK = "****";

  /** The value of {@code text}; the error names the variable, the text and what is accepted. */
  T parse(String text) {
    try {
      return parser.apply(text);
    } catch (Explained e) {
      throw new IllegalArgumentException(name + "=" + text + " is not valid: expected " + accepted + "; " + e.getMessage());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(name + "=" + text + " is not valid: expected " + accepted);
    }
  }

  /** Thrown by a parser whose reason (which part of a list is wrong) helps more than what is accepted alone. */
  static final class Explained extends IllegalArgumentException {
    Explained(String reason) {
      super(reason);
    }
  }
}
