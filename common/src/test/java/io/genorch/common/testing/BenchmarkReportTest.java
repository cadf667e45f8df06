package io.genorch.common.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class BenchmarkReportTest {

  @Test
  void aRateIsStatedWithItsRatioToTheAnchor() {
    BenchmarkReport report = BenchmarkReport.start("t", "title", OptionalDouble.of(6000));
    report.rate("applied", 1500, "deliveries", "(in 2.00 s)");
    assertTrue(report.text().contains("applied:          1500 deliveries/s (0.25x anchor) (in 2.00 s)\n"), report.text());
    assertTrue(report.text().contains("anchor:           pgbench webhook-shaped transaction 6000 tps"), report.text());
  }

  @Test
  void withoutAnAnchorTheRateStandsAloneAndTheHeaderSaysWhy() {
    BenchmarkReport report = BenchmarkReport.start("t", "title", OptionalDouble.empty());
    report.rate("applied", 1500, "deliveries", "");
    assertTrue(report.text().contains("applied:          1500 deliveries/s\n"), report.text());
    assertTrue(report.text().contains("GENORCH_ANCHOR_TPS unset"), report.text());
  }

  @Test
  void theAnchorIsReadOnlyWhenItIsAPositiveNumber() {
    assertEquals(OptionalDouble.of(6123), BenchmarkReport.anchorFrom(" 6123 "));
    assertEquals(OptionalDouble.empty(), BenchmarkReport.anchorFrom(null));
    assertEquals(OptionalDouble.empty(), BenchmarkReport.anchorFrom(""));
    assertEquals(OptionalDouble.empty(), BenchmarkReport.anchorFrom("0"));
    assertEquals(OptionalDouble.empty(), BenchmarkReport.anchorFrom("fast"));
  }

  @Test
  void percentilesAreNearestRank() {
    long[] sorted = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    assertEquals(5, BenchmarkReport.percentile(sorted, 50));
    assertEquals(10, BenchmarkReport.percentile(sorted, 99));
    assertEquals(0, BenchmarkReport.percentile(new long[0], 99));
  }
}
