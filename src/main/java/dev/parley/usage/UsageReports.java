package dev.parley.usage;

import java.time.LocalDate;
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
 * Usage reports over the rollups, never over messages. A report reads the coarsest rollups that answer it exactly:
 * without keys the per-tenant daily rollup; by key and day the daily one; by key but not by day the yearly, monthly
 * and daily ones as {@link ReportCover} covers the range with them, some parts taken away from others. By key without
 * model, the rollups across models.
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
        // the parts at once, each one query on its own connection; a part taken away counts negatively
        List<Uni<List<UsageStore.Row>>> reads = new ArrayList<>();
        if (!byKey || byDay) {
            // by key and day: the daily rollup (by key across models when not by model); else the tenant's daily one
            Grain grain = !byKey ? Grain.TENANT_DAY : byModel ? Grain.KEY_DAY : Grain.KEY_ONLY_DAY;
            reads.add(store.sum(sum(q, grain, q.from().toString(), q.to().toString())));
        } else {
            for (ReportCover.Part part : ReportCover.of(q.from(), q.to(), Query.today())) {
                Grain grain = switch (part.level()) {
                    case DAY -> byModel ? Grain.KEY_DAY : Grain.KEY_ONLY_DAY;
                    case MONTH -> byModel ? Grain.KEY_MONTH : Grain.KEY_ONLY_MONTH;
                    case YEAR -> byModel ? Grain.KEY_YEAR : Grain.KEY_ONLY_YEAR;
                };
                Uni<List<UsageStore.Row>> read = store.sum(sum(q, grain, part.from(), part.to()));
                reads.add(part.subtract() ? read.map(UsageReports::negated) : read);
            }
        }
        return Uni.combine().all().unis(reads).with(results -> {
            List<UsageStore.Row> rows = new ArrayList<>();
            for (Object r : results) {
                @SuppressWarnings("unchecked")
                List<UsageStore.Row> part = (List<UsageStore.Row>) r;
                rows.addAll(part);
            }
            return assemble(q, rows);
        });
    }

    private static List<UsageStore.Row> negated(List<UsageStore.Row> rows) {
        List<UsageStore.Row> out = new ArrayList<>(rows.size());
        for (UsageStore.Row r : rows) {
            out.add(new UsageStore.Row(r.tenantId(), r.period(), r.model(), r.keyId(), r.finishReason(), -r.turns(),
                    -r.tokensIn(), -r.tokensOut()));
        }
        return out;
    }

    private static UsageStore.Sum sum(Query q, Grain grain, String from, String to) {
        Set<Group> g = q.groups();
        return new UsageStore.Sum(grain, q.tenantId(), from, to, g.contains(Group.TENANT), g.contains(Group.DAY),
                g.contains(Group.MODEL), g.contains(Group.KEY));
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
            Map<String, Long> counted = new TreeMap<>(reasons);
            counted.values().removeIf(n -> n == 0);
            return new Item(k.tenantId(), k.day(), k.model(), k.keyId(), turns, tokensIn, tokensOut,
                    java.util.Collections.unmodifiableMap(counted));
        }
    }

    private static final Comparator<GroupKey> ORDER = Comparator
            .comparing(GroupKey::tenantId, Comparator.nullsFirst(Comparator.<UUID> naturalOrder()))
            .thenComparing(GroupKey::day, Comparator.nullsFirst(Comparator.<String> naturalOrder()))
            .thenComparing(GroupKey::model, Comparator.nullsFirst(Comparator.<String> naturalOrder()))
            .thenComparing(GroupKey::keyId, Comparator.nullsFirst(Comparator.<UUID> naturalOrder()));

    static Report assemble(Query q, List<UsageStore.Row> rows) {
        // hashed while counting (a report by model and key merges tens of thousands of rows), sorted once at the end
        Map<GroupKey, Counts> groups = new java.util.HashMap<>();
        Counts totals = new Counts();
        for (UsageStore.Row r : rows) {
            UUID key = Objects.equals(r.keyId(), TurnStore.UNKNOWN_KEY) ? null : r.keyId();
            groups.computeIfAbsent(new GroupKey(r.tenantId(), r.period(), r.model(), key), k -> new Counts()).add(r);
            totals.add(r);
        }
        List<GroupKey> keys = new ArrayList<>(groups.keySet());
        keys.sort(ORDER);
        List<Item> items = new ArrayList<>(keys.size());
        for (GroupKey k : keys) {
            Counts c = groups.get(k);
            // a group whose days in the range were all taken away again (a whole month or year minus days): every
            // rollup row counts at least one turn, so no turns means nothing at all
            if (c.turns != 0) {
                items.add(c.item(k));
            }
        }
        return new Report(q, items, totals.item(new GroupKey(null, null, null, null)));
    }
}
