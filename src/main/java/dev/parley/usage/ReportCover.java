package dev.parley.usage;

import java.time.LocalDate;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.List;

/**
 * How a report by key (not by day) covers its range of days with rollups: whole calendar years from the yearly rollup,
 * whole months from the monthly one, days from the daily one, and a partial year or month either as its months or days
 * or as the whole year or month minus the ones the range leaves out, whichever reads fewer rows. A rolling year ending
 * today is so the current year (its days after today hold nothing) plus last year's partial month minus the days it
 * leaves out: two or three grains' rows per group instead of a year of months and a month of days.
 *
 * <p>Exact whatever the rows: every day of the range is counted once and every other day not at all (the parts that
 * are taken away are read like the others; days after today cost nothing in the choice, since nothing was written
 * on them, but they are read all the same, so a replica whose clock runs ahead is counted too).
 */
final class ReportCover {

    /** The rollup a part reads. */
    enum Level {
        DAY, MONTH, YEAR
    }

    /** Periods {@code from}..{@code to} of one level, added to the report or taken away from it. */
    record Part(Level level, String from, String to, boolean subtract) {
    }

    // the rows a period holds, relative to a month: a day holds about as many groups as a month (every key and model
    // that was used that day), fewer finish reasons, so a little over half its rows; a year about a month's
    private static final double DAY_COST = 0.55;
    private static final double MONTH_COST = 1;
    private static final double YEAR_COST = 1.1;
    // each part is one query
    private static final double PART_COST = 0.05;

    private ReportCover() {
    }

    /** The parts covering days {@code from}..{@code to}, given that nothing was written after {@code today}. */
    static List<Part> of(LocalDate from, LocalDate to, LocalDate today) {
        Plan plan = new Plan();
        for (int y = from.getYear(); y <= to.getYear(); y++) {
            LocalDate first = LocalDate.of(y, 1, 1);
            LocalDate last = LocalDate.of(y, 12, 31);
            plan.add(year(max(from, first), min(to, last), today));
        }
        return plan.parts;
    }

    /** Days a..b of one year: its months and days, or the whole year minus the months and days it leaves out. */
    private static Plan year(LocalDate a, LocalDate b, LocalDate today) {
        Plan byMonths = months(a, b, false, today);
        LocalDate first = a.withDayOfYear(1);
        LocalDate last = first.plusYears(1).minusDays(1);
        Plan whole = new Plan();
        String y = Integer.toString(a.getYear());
        whole.add(new Part(Level.YEAR, y, y, false), first.isAfter(today) ? 0 : YEAR_COST);
        if (a.isAfter(first)) {
            whole.add(months(first, a.minusDays(1), true, today));
        }
        if (b.isBefore(last)) {
            whole.add(months(b.plusDays(1), last, true, today));
        }
        return whole.cost < byMonths.cost ? whole : byMonths;
    }

    /** Days a..b within one year, month by month. */
    private static Plan months(LocalDate a, LocalDate b, boolean subtract, LocalDate today) {
        Plan plan = new Plan();
        LocalDate cur = a;
        while (!cur.isAfter(b)) {
            YearMonth m = YearMonth.from(cur);
            LocalDate end = min(b, m.atEndOfMonth());
            if (cur.getDayOfMonth() == 1 && end.equals(m.atEndOfMonth())) {
                plan.add(new Part(Level.MONTH, m.toString(), m.toString(), subtract),
                        cur.isAfter(today) ? 0 : MONTH_COST);
            } else {
                plan.add(month(cur, end, subtract, today));
            }
            cur = end.plusDays(1);
        }
        return plan;
    }

    /** Days a..b within one month: the days, or the whole month minus the days it leaves out. */
    private static Plan month(LocalDate a, LocalDate b, boolean subtract, LocalDate today) {
        Plan days = new Plan();
        days.add(days(a, b, subtract, today));
        YearMonth m = YearMonth.from(a);
        Plan whole = new Plan();
        whole.add(new Part(Level.MONTH, m.toString(), m.toString(), subtract), m.atDay(1).isAfter(today) ? 0
                : MONTH_COST);
        if (a.getDayOfMonth() > 1) {
            whole.add(days(m.atDay(1), a.minusDays(1), !subtract, today));
        }
        if (b.isBefore(m.atEndOfMonth())) {
            whole.add(days(b.plusDays(1), m.atEndOfMonth(), !subtract, today));
        }
        return whole.cost < days.cost ? whole : days;
    }

    private static Plan days(LocalDate a, LocalDate b, boolean subtract, LocalDate today) {
        Plan plan = new Plan();
        long written = today.isBefore(a) ? 0 : a.datesUntil(min(b, today).plusDays(1)).count();
        plan.add(new Part(Level.DAY, a.toString(), b.toString(), subtract), written * DAY_COST);
        return plan;
    }

    private static LocalDate min(LocalDate a, LocalDate b) {
        return a.isBefore(b) ? a : b;
    }

    private static LocalDate max(LocalDate a, LocalDate b) {
        return a.isAfter(b) ? a : b;
    }

    /** Parts and what reading them costs; a part that continues one of its level and sign joins it. */
    private static final class Plan {
        final List<Part> parts = new ArrayList<>();
        double cost;

        void add(Part p, double rows) {
            cost += rows + PART_COST;
            join(p);
        }

        void add(Plan other) {
            cost += other.cost;
            other.parts.forEach(this::join);
        }

        private void join(Part p) {
            for (int i = 0; i < parts.size(); i++) {
                Part q = parts.get(i);
                if (q.level() == p.level() && q.subtract() == p.subtract() && next(q.level(), q.to()).equals(p.from())) {
                    parts.set(i, new Part(q.level(), q.from(), p.to(), q.subtract()));
                    cost -= PART_COST;
                    return;
                }
            }
            parts.add(p);
        }

        private static String next(Level level, String period) {
            return switch (level) {
                case DAY -> LocalDate.parse(period).plusDays(1).toString();
                case MONTH -> YearMonth.parse(period).plusMonths(1).toString();
                case YEAR -> Integer.toString(Integer.parseInt(period) + 1);
            };
        }
    }
}
