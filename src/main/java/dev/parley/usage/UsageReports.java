package dev.parley.usage;

import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import dev.parley.store.Timestamps;
import dev.parley.store.TurnStore;
import dev.parley.store.UsageStore;
import dev.parley.store.UsageStore.Grain;
import io.smallrye.mutiny.Uni;

/**
 * Usage reports over the rollups, never over messages. A report reads the coarsest rollup that answers it exactly:
 * without keys the per-tenant daily rollup; by key but not by day the monthly rollup for the whole months of the range
 * and the daily one for its partial months at either end; by key and day the daily one. By key without model, the
 * rollups across models.
 */
@ApplicationScoped
public class UsageReports {

    /** The longest range a report covers. */
    public static final int MAX_DAYS = 3_700;

    public enum Group {
        TENANT, DAY, MODEL, KEY;

        public static Group of(String name) {
            for (Group g : values()) {
                if (g.name().equalsIgnoreCase(name)) {
                    return g;
                }
            }
            throw new IllegalArgumentException("unknown groupBy '" + name + "': use day, model or key");
        }
    }

    /** A report's question: one tenant's usage (null: every tenant's), days {@code from}..{@code to} (UTC). */
    public record Query(UUID tenantId, LocalDate from, LocalDate to, Set<Group> groups) {
        public Query {
            groups = groups.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(groups));
            if (from.isAfter(to)) {
                throw new IllegalArgumentException("from " + from + " is after to " + to);
            }
            if (from.plusDays(MAX_DAYS).isBefore(to)) {
                throw new IllegalArgumentException("a report covers at most " + MAX_DAYS + " days");
            }
        }

        /** The current UTC month to date, when the client names no range. */
        public static LocalDate defaultFrom() {
            return today().withDayOfMonth(1);
        }

        public static LocalDate today() {
            return LocalDate.ofInstant(Timestamps.now(), ZoneOffset.UTC);
        }
    }

    /** One group's counts; dimensions not grouped by are null, and so is the key of replies stored before V6. */
    public record Item(UUID tenantId, String day, String model, UUID keyId, long turns, long tokensIn, long tokensOut,
            Map<String, Long> finishReasons) {
    }

    public record Report(Query query, List<Item> items, Item totals) {
    }

    private final UsageStore store;

    UsageReports(UsageStore store) {
        this.store = store;
    }

    public Uni<Report> report(Query q) {
        boolean byKey = q.groups().contains(Group.KEY);
        boolean byDay = q.groups().contains(Group.DAY);
        boolean byModel = q.groups().contains(Group.MODEL);
        // by key without model: the rollups across models, a tenth of the rows or fewer
        Grain keyDay = byModel ? Grain.KEY_DAY : Grain.KEY_ONLY_DAY;
        Grain keyMonth = byModel ? Grain.KEY_MONTH : Grain.KEY_ONLY_MONTH;
        List<UsageStore.Sum> sums = new ArrayList<>();
        if (!byKey || byDay) {
            sums.add(sum(q, byKey ? keyDay : Grain.TENANT_DAY, q.from().toString(), q.to().toString()));
        } else {
            LocalDate cur = q.from();
            if (cur.getDayOfMonth() != 1) { // the partial month the range starts in
                LocalDate end = min(YearMonth.from(cur).atEndOfMonth(), q.to());
                sums.add(sum(q, keyDay, cur.toString(), end.toString()));
                cur = end.plusDays(1);
            }
            LocalDate lastWhole = q.to().equals(YearMonth.from(q.to()).atEndOfMonth()) ? q.to()
                    : q.to().withDayOfMonth(1).minusDays(1);
            if (!cur.isAfter(q.to()) && !lastWhole.isBefore(cur)) {
                sums.add(sum(q, keyMonth, YearMonth.from(cur).toString(), YearMonth.from(lastWhole).toString()));
                cur = lastWhole.plusDays(1);
            }
            if (!cur.isAfter(q.to())) { // the partial month it ends in
                sums.add(sum(q, keyDay, cur.toString(), q.to().toString()));
            }
        }
        Uni<List<UsageStore.Row>> rows = Uni.createFrom().item(List.of());
        for (UsageStore.Sum s : sums) {
            rows = rows.chain(before -> store.sum(s).map(more -> {
                List<UsageStore.Row> all = new ArrayList<>(before);
                all.addAll(more);
                return all;
            }));
        }
        return rows.map(all -> assemble(q, all));
    }

    private static UsageStore.Sum sum(Query q, Grain grain, String from, String to) {
        Set<Group> g = q.groups();
        return new UsageStore.Sum(grain, q.tenantId(), from, to, g.contains(Group.TENANT), g.contains(Group.DAY),
                g.contains(Group.MODEL), g.contains(Group.KEY));
    }

    private static LocalDate min(LocalDate a, LocalDate b) {
        return a.isBefore(b) ? a : b;
    }

    private record GroupKey(UUID tenantId, String day, String model, UUID keyId) {
    }

    private static final class Counts {
        long turns;
        long tokensIn;
        long tokensOut;
        final Map<String, Long> reasons = new TreeMap<>();

        void add(UsageStore.Row r) {
            turns += r.turns();
            tokensIn += r.tokensIn();
            tokensOut += r.tokensOut();
            reasons.merge(r.finishReason(), r.turns(), Long::sum);
        }

        Item item(GroupKey k) {
            return new Item(k.tenantId(), k.day(), k.model(), k.keyId(), turns, tokensIn, tokensOut,
                    java.util.Collections.unmodifiableMap(new TreeMap<>(reasons)));
        }
    }

    private static final Comparator<GroupKey> ORDER = Comparator
            .comparing(GroupKey::tenantId, Comparator.nullsFirst(Comparator.<UUID> naturalOrder()))
            .thenComparing(GroupKey::day, Comparator.nullsFirst(Comparator.<String> naturalOrder()))
            .thenComparing(GroupKey::model, Comparator.nullsFirst(Comparator.<String> naturalOrder()))
            .thenComparing(GroupKey::keyId, Comparator.nullsFirst(Comparator.<UUID> naturalOrder()));

    static Report assemble(Query q, List<UsageStore.Row> rows) {
        Map<GroupKey, Counts> groups = new TreeMap<>(ORDER);
        Counts totals = new Counts();
        for (UsageStore.Row r : rows) {
            UUID key = Objects.equals(r.keyId(), TurnStore.UNKNOWN_KEY) ? null : r.keyId();
            groups.computeIfAbsent(new GroupKey(r.tenantId(), r.period(), r.model(), key), k -> new Counts()).add(r);
            totals.add(r);
        }
        List<Item> items = new ArrayList<>(groups.size());
        groups.forEach((k, c) -> items.add(c.item(k)));
        return new Report(q, items, totals.item(new GroupKey(null, null, null, null)));
    }
}
