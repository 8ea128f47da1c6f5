package dev.parley.usage;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDate;
import java.time.YearMonth;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import dev.parley.usage.ReportCover.Level;
import dev.parley.usage.ReportCover.Part;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

class ReportCoverTest {

    private static final LocalDate ORIGIN = LocalDate.of(2023, 1, 1);

    /** Every day of the range counted once, every other day not at all, whatever today is. */
    @Property(tries = 3000)
    void thePartsCountEveryDayOfTheRangeOnceAndNoOtherDay(@ForAll @IntRange(min = 0, max = 1500) int start,
            @ForAll @IntRange(min = 0, max = 1200) int length, @ForAll @IntRange(min = -100, max = 1700) int now) {
        LocalDate from = ORIGIN.plusDays(start);
        LocalDate to = from.plusDays(length);
        List<Part> parts = ReportCover.of(from, to, ORIGIN.plusDays(now));
        Map<LocalDate, Integer> counted = new TreeMap<>();
        for (Part p : parts) {
            for (LocalDate d : days(p)) {
                counted.merge(d, p.subtract() ? -1 : 1, Integer::sum);
            }
        }
        counted.values().removeIf(n -> n == 0);
        Map<LocalDate, Integer> expected = new TreeMap<>();
        from.datesUntil(to.plusDays(1)).forEach(d -> expected.put(d, 1));
        assertThat(counted).as("%s..%s: %s", from, to, parts).isEqualTo(expected);
        assertThat(parts).as("no more than a few queries: %s..%s: %s", from, to, parts).hasSizeLessThanOrEqualTo(5 * (to.getYear()
                - from.getYear() + 1));
    }

    @Test
    void aRollingYearEndingTodayReadsThisYearAndLastYearsMonthLessTheDaysItLeavesOut() {
        assertThat(ReportCover.of(LocalDate.parse("2025-12-07"), LocalDate.parse("2026-12-06"),
                LocalDate.parse("2026-12-06"))).containsExactly(
                        new Part(Level.MONTH, "2025-12", "2025-12", false),
                        new Part(Level.DAY, "2025-12-01", "2025-12-06", true),
                        new Part(Level.YEAR, "2026", "2026", false),
                        new Part(Level.DAY, "2026-12-07", "2026-12-31", true));
        // late in the month, the days of last year's month are fewer than the days it leaves out
        assertThat(ReportCover.of(LocalDate.parse("2025-12-28"), LocalDate.parse("2026-12-27"),
                LocalDate.parse("2026-12-27"))).containsExactly(
                        new Part(Level.DAY, "2025-12-28", "2025-12-31", false),
                        new Part(Level.YEAR, "2026", "2026", false),
                        new Part(Level.DAY, "2026-12-28", "2026-12-31", true));
    }

    @Test
    void wholePeriodsInThePastAreReadAsTheyAre() {
        assertThat(ReportCover.of(LocalDate.parse("2024-01-01"), LocalDate.parse("2025-12-31"),
                LocalDate.parse("2026-12-06"))).containsExactly(new Part(Level.YEAR, "2024", "2025", false));
        assertThat(ReportCover.of(LocalDate.parse("2026-03-01"), LocalDate.parse("2026-05-31"),
                LocalDate.parse("2026-12-06"))).containsExactly(new Part(Level.MONTH, "2026-03", "2026-05", false));
        assertThat(ReportCover.of(LocalDate.parse("2026-03-04"), LocalDate.parse("2026-03-09"),
                LocalDate.parse("2026-12-06"))).containsExactly(new Part(Level.DAY, "2026-03-04", "2026-03-09",
                        false));
    }

    private static List<LocalDate> days(Part p) {
        return switch (p.level()) {
            case DAY -> LocalDate.parse(p.from()).datesUntil(LocalDate.parse(p.to()).plusDays(1)).toList();
            case MONTH -> YearMonth.parse(p.from()).atDay(1)
                    .datesUntil(YearMonth.parse(p.to()).atEndOfMonth().plusDays(1)).toList();
            case YEAR -> LocalDate.of(Integer.parseInt(p.from()), 1, 1)
                    .datesUntil(LocalDate.of(Integer.parseInt(p.to()) + 1, 1, 1)).toList();
        };
    }
}
