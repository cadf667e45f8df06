package io.genorch.simulator;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The knobs of a job's result files, from {@code [sim:...]} tokens of its prompt (see provider-simulator/README.md):
 * {@code output-bytes=N} (size of each file), {@code output-urls=N} (apimart: N URLs in each {@code url} array) and
 * {@code output-fault=…}: {@code slow} (the body trickles), {@code truncate} (the first download is cut off half way,
 * later ones are whole), {@code html} (an HTML error page with 200), {@code redirect-loopback} /
 * {@code redirect-metadata} (a 302 to 127.0.0.2 / 169.254.169.254), {@code redirect-loop} (redirects forever).
 */
public record MediaDirectives(long bytes, int urls, String fault) {

  public static final long DEFAULT_BYTES = 64 * 1024;
  private static final Pattern TOKEN =
      Pattern.compile("\\[sim:(output-bytes|output-urls|output-fault)=([^\\]]*)]", Pattern.CASE_INSENSITIVE);

  public static MediaDirectives parse(String prompt) {
    long bytes = DEFAULT_BYTES;
    int urls = 1;
    String fault = null;
    if (prompt != null) {
      Matcher m = TOKEN.matcher(prompt);
      while (m.find()) {
        String value = m.group(2).trim();
        try {
          switch (m.group(1).toLowerCase(Locale.ROOT)) {
            case "output-bytes" -> bytes = Math.max(0, Long.parseLong(value));
            case "output-urls" -> urls = Math.max(1, Integer.parseInt(value));
            default -> fault = value.toLowerCase(Locale.ROOT);
          }
        } catch (NumberFormatException e) {
          // ignored, as unknown directives are
        }
      }
    }
    return new MediaDirectives(bytes, urls, fault);
  }
}
