package io.embedforge.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Rate, ETA and the report interval, with a clock the test moves. */
class ProgressMeterTest {
    /** A clock that stands still until the test moves it. */
    static final class FakeClock implements InstantSource {
        Instant now = Instant.parse("2026-12-07T12:00:00Z");

        @Override
        public Instant instant() {
            return now;
        }

        void advance(double seconds) {
            now = now.plusMillis(Math.round(seconds * 1000));
        }
    }

    private final FakeClock clock = new FakeClock();
    private final List<ProgressEvent> reports = new ArrayList<>();
    private final ProgressMeter meter =
            new ProgressMeter(clock, Duration.ofSeconds(10), reports::add);

    private static ProgressMeter.Reading encoding(long done, long total) {
        return new ProgressMeter.Reading(
                "mine-dense", 3, 7, "encoding", done, total, true, "texts");
    }

    @Test
    void reportsOncePerIntervalWhateverHowOftenItIsOffered() {
        for (int s = 1; s <= 35; s++) {
            clock.advance(1);
            meter.offer(encoding(s * 4L, 400));
        }
        assertEquals(3, reports.size());
        assertEquals(List.of(40L, 80L, 120L), reports.stream().map(e -> e.at().done()).toList());
        assertEquals(clock.now.minusSeconds(5), reports.get(2).timestamp());
    }

    @Test
    void rateCountsFromTheStepsFirstReadingAndEtaIsWhatRemainsAtThatRate() {
        meter.offer(encoding(100, 1100)); // first seen with 100 done: they do not count
        clock.advance(10);
        ProgressEvent e = meter.offer(encoding(300, 1100));
        assertNotNull(e);
        assertEquals(20.0, e.rate(), 1e-9);
        assertEquals(40.0, e.etaSeconds(), 1e-9);
        assertEquals(
                "stage 3 of 7 mine-dense, encoding: 300/~1100 texts, 20.0 texts/s, ETA 40s",
                e.line());
    }

    @Test
    void aNewStepStartsItsOwnRate() {
        meter.offer(encoding(0, 100));
        clock.advance(5);
        meter.offer(encoding(100, 100));
        meter.offer(
                new ProgressMeter.Reading("mine-dense", 3, 7, "search", 0, 50, false, "queries"));
        clock.advance(5);
        ProgressEvent e =
                meter.offer(
                        new ProgressMeter.Reading(
                                "mine-dense", 3, 7, "search", 10, 50, false, "queries"));
        assertEquals(2.0, e.rate(), 1e-9);
        assertEquals(20.0, e.etaSeconds(), 1e-9);
        assertEquals(
                "stage 3 of 7 mine-dense, search: 10/50 queries, 2.00 queries/s, ETA 20s",
                e.line());
    }

    @Test
    void noEtaWithoutATotalOrBeforeAnyUnitIsDone() {
        meter.offer(encoding(0, -1));
        clock.advance(10);
        ProgressEvent unknownTotal = meter.offer(encoding(50, -1));
        assertNull(unknownTotal.etaSeconds());
        assertEquals(5.0, unknownTotal.rate(), 1e-9);
        assertEquals(
                "stage 3 of 7 mine-dense, encoding: 50 texts, 5.00 texts/s, ETA unknown",
                unknownTotal.line());
        ProgressMeter fresh = new ProgressMeter(clock, Duration.ofSeconds(10), reports::add);
        fresh.offer(encoding(0, 100));
        clock.advance(10);
        ProgressEvent nothingYet = fresh.offer(encoding(0, 100));
        assertEquals(0.0, nothingYet.rate());
        assertNull(nothingYet.etaSeconds());
    }

    @Test
    void aDoneStepHasEtaZeroAndLongEtasReadAsHoursAndMinutes() {
        meter.offer(encoding(0, 10));
        clock.advance(10);
        assertEquals(0.0, meter.offer(encoding(10, 10)).etaSeconds());
        assertEquals("45s", ProgressEvent.duration(45.4));
        assertEquals("3m05s", ProgressEvent.duration(185));
        assertEquals("2h03m", ProgressEvent.duration(2 * 3600 + 3 * 60 + 20));
    }

    @Test
    void aCountThatGoesBackRestartsTheStep() {
        meter.offer(encoding(500, 1000));
        clock.advance(10);
        meter.offer(encoding(600, 1000));
        meter.offer(encoding(0, 1000)); // the step ran again (a second search pass)
        clock.advance(10);
        ProgressEvent e = meter.offer(encoding(100, 1000));
        assertEquals(10.0, e.rate(), 1e-9);
    }

    @Test
    void theIntervalMustBePositive() {
        assertThrows(
                IllegalArgumentException.class,
                () -> new ProgressMeter(clock, Duration.ZERO, reports::add));
    }
}
