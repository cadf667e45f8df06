package io.genorch.orchestrator.api;

/**
 * One range of a {@code Range: bytes=…} header (RFC 9110 section 14): {@code a-b}, {@code a-} or the suffix
 * {@code -n}. Several ranges are answered whole (a 200 is always allowed), as are other units.
 *
 * @param start first byte
 * @param end last byte, inclusive
 */
record ByteRange(long start, long end) {

  /** The header does not fit the object (start past its end): answered 416. */
  static final ByteRange UNSATISFIABLE = new ByteRange(-1, -1);

  long length() {
    return end - start + 1;
  }

  /** The range asked for, null for the whole object, or {@link #UNSATISFIABLE}. */
  static ByteRange parse(String header, long size) {
    if (header == null || !header.startsWith("bytes=") || header.contains(",")) {
      return null;
    }
    String spec = header.substring("bytes=".length()).trim();
    int dash = spec.indexOf('-');
    if (dash < 0) {
      return null;
    }
    try {
      String first = spec.substring(0, dash).trim();
      String last = spec.substring(dash + 1).trim();
      if (first.isEmpty()) {
        long suffix = Long.parseLong(last);
        if (suffix <= 0 || size == 0) {
          return UNSATISFIABLE;
        }
        return new ByteRange(Math.max(0, size - suffix), size - 1);
      }
      long start = Long.parseLong(first);
      long end = last.isEmpty() ? size - 1 : Math.min(Long.parseLong(last), size - 1);
      if (start < 0 || start >= size || (!last.isEmpty() && Long.parseLong(last) < start)) {
        return UNSATISFIABLE;
      }
      return new ByteRange(start, end);
    } catch (NumberFormatException e) {
      return null; // not a range this server reads: the whole object
    }
  }
}
