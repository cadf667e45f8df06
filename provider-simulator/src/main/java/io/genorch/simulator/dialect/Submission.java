package io.genorch.simulator.dialect;

/**
 * A validated submit.
 *
 * @param prompt      the prompt (directives included)
 * @param callbackUrl where the provider will POST callbacks (already resolved, e.g. apimart's base + /callback), or
 *                    null when the client gave none
 */
public record Submission(String prompt, String callbackUrl) {
}
