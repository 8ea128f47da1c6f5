package dev.parley.api;

import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import dev.parley.auth.CurrentCaller;
import dev.parley.auth.Scope;
import dev.parley.usage.UsageReports;
import dev.parley.usage.UsageReports.Group;
import io.smallrye.mutiny.Uni;

/**
 * Usage reports, read from the rollups: {@code GET /api/usage} for the caller's tenant (scope {@code read}), and
 * {@code GET /api/admin/usage} across tenants (scope {@code admin}, {@code tenant} as a further group, {@code tenant=}
 * to pick one). {@code from} and {@code to} are UTC days, both included (default: this month to date);
 * {@code groupBy} any of {@code day}, {@code model}, {@code key}. JSON, or CSV with {@code Accept: text/csv}.
 */
@Path("/api")
public class UsageResource {

    static final String CSV = "text/csv";

    private final UsageReports reports;
    private final CurrentCaller caller;

    UsageResource(UsageReports reports, CurrentCaller caller) {
        this.reports = reports;
        this.caller = caller;
    }

    @GET
    @Path("usage")
    @Produces({ MediaType.APPLICATION_JSON, CSV })
    @RolesAllowed(Scope.Names.READ)
    public Uni<Response> usage(@QueryParam("from") String from, @QueryParam("to") String to,
            @QueryParam("groupBy") List<String> groupBy, @HeaderParam(HttpHeaders.ACCEPT) String accept) {
        return answer(query(caller.get().tenantId(), from, to, groupBy, false), accept);
    }

    @GET
    @Path("admin/usage")
    @Produces({ MediaType.APPLICATION_JSON, CSV })
    @RolesAllowed(Scope.Names.ADMIN)
    public Uni<Response> allTenants(@QueryParam("from") String from, @QueryParam("to") String to,
            @QueryParam("groupBy") List<String> groupBy, @QueryParam("tenant") String tenant,
            @HeaderParam(HttpHeaders.ACCEPT) String accept) {
        UUID tenantId = tenant == null || tenant.isBlank() ? null : Paging.id(tenant.trim(), "tenant");
        return answer(query(tenantId, from, to, groupBy, true), accept);
    }

    private static UsageReports.Query query(UUID tenantId, String from, String to, List<String> groupBy,
            boolean admin) {
        Set<Group> groups = EnumSet.noneOf(Group.class);
        for (String list : groupBy == null ? List.<String> of() : groupBy) {
            for (String name : list.split(",")) {
                if (name.isBlank()) {
                    continue;
                }
                try {
                    Group g = Group.of(name.trim());
                    if (g == Group.TENANT && !admin) {
                        throw new IllegalArgumentException("groupBy tenant is for GET /api/admin/usage");
                    }
                    groups.add(g);
                } catch (IllegalArgumentException e) {
                    throw ApiProblem.badRequest(e.getMessage() + (admin ? " (or tenant)" : ""));
                }
            }
        }
        LocalDate fromDay = day(from, "from", UsageReports.Query.defaultFrom());
        LocalDate toDay = day(to, "to", UsageReports.Query.today());
        try {
            return new UsageReports.Query(tenantId, fromDay, toDay, groups);
        } catch (IllegalArgumentException e) {
            throw ApiProblem.badRequest(e.getMessage());
        }
    }

    private static LocalDate day(String value, String name, LocalDate otherwise) {
        if (value == null || value.isBlank()) {
            return otherwise;
        }
        try {
            return LocalDate.parse(value.trim());
        } catch (DateTimeParseException e) {
            throw ApiProblem.badRequest(name + " must be a day YYYY-MM-DD");
        }
    }

    private Uni<Response> answer(UsageReports.Query query, String accept) {
        boolean csv = wantsCsv(accept);
        return reports.report(query).map(report -> csv
                ? Response.ok(csv(report), CSV + "; charset=utf-8")
                        .header("Content-Disposition", "inline; filename=\"usage.csv\"").build()
                : Response.ok(json(report), MediaType.APPLICATION_JSON).build());
    }

    /** CSV only when the client prefers it to JSON (an explicit text/csv; JSON for anything else). */
    static boolean wantsCsv(String accept) {
        if (accept == null) {
            return false;
        }
        double csv = -1;
        double json = -1;
        for (String part : accept.split(",")) {
            String[] p = part.trim().split(";");
            String type = p[0].trim().toLowerCase(java.util.Locale.ROOT);
            double q = 1;
            for (int i = 1; i < p.length; i++) {
                String param = p[i].trim();
                if (param.startsWith("q=")) {
                    try {
                        q = Double.parseDouble(param.substring(2));
                    } catch (NumberFormatException e) {
                        q = 0;
                    }
                }
            }
            if (type.equals(CSV)) {
                csv = Math.max(csv, q);
            } else if (type.equals(MediaType.APPLICATION_JSON) || type.equals("*/*") || type.equals("application/*")) {
                json = Math.max(json, q);
            }
        }
        return csv > 0 && csv >= json;
    }

    static Map<String, Object> json(UsageReports.Report r) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("from", r.query().from().toString());
        out.put("to", r.query().to().toString());
        out.put("groupBy", r.query().groups().stream().map(g -> g.name().toLowerCase(java.util.Locale.ROOT))
                .sorted().toList());
        List<Map<String, Object>> items = new ArrayList<>(r.items().size());
        for (UsageReports.Item i : r.items()) {
            items.add(item(r.query().groups(), i));
        }
        out.put("items", items);
        out.put("totals", item(Set.of(), r.totals()));
        return out;
    }

    private static Map<String, Object> item(Set<Group> groups, UsageReports.Item i) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (groups.contains(Group.TENANT)) {
            m.put("tenantId", i.tenantId());
        }
        if (groups.contains(Group.DAY)) {
            m.put("day", i.day());
        }
        if (groups.contains(Group.MODEL)) {
            m.put("model", i.model());
        }
        if (groups.contains(Group.KEY)) {
            m.put("keyId", i.keyId());
        }
        m.put("turns", i.turns());
        m.put("tokensIn", i.tokensIn());
        m.put("tokensOut", i.tokensOut());
        m.put("finishReasons", i.finishReasons());
        return m;
    }

    /** The same rows as CSV: the grouped dimensions, the counts, and one column per finish reason that occurs. */
    static String csv(UsageReports.Report r) {
        Set<Group> groups = r.query().groups();
        Set<String> reasons = new TreeSet<>();
        r.items().forEach(i -> reasons.addAll(i.finishReasons().keySet()));
        List<String> header = new ArrayList<>();
        for (Group g : List.of(Group.TENANT, Group.DAY, Group.MODEL, Group.KEY)) {
            if (groups.contains(g)) {
                header.add(switch (g) {
                    case TENANT -> "tenantId";
                    case DAY -> "day";
                    case MODEL -> "model";
                    case KEY -> "keyId";
                });
            }
        }
        header.addAll(List.of("turns", "tokensIn", "tokensOut"));
        reasons.forEach(reason -> header.add("finishReasons." + reason));
        StringBuilder out = new StringBuilder();
        line(out, header);
        for (UsageReports.Item i : r.items()) {
            List<String> cells = new ArrayList<>();
            if (groups.contains(Group.TENANT)) {
                cells.add(String.valueOf(i.tenantId()));
            }
            if (groups.contains(Group.DAY)) {
                cells.add(i.day());
            }
            if (groups.contains(Group.MODEL)) {
                cells.add(i.model());
            }
            if (groups.contains(Group.KEY)) {
                cells.add(i.keyId() == null ? "" : i.keyId().toString());
            }
            cells.add(Long.toString(i.turns()));
            cells.add(Long.toString(i.tokensIn()));
            cells.add(Long.toString(i.tokensOut()));
            reasons.forEach(reason -> cells.add(Long.toString(i.finishReasons().getOrDefault(reason, 0L))));
            line(out, cells);
        }
        return out.toString();
    }

    /** One RFC 4180 line; a cell a spreadsheet would run as a formula is quoted with a leading apostrophe. */
    private static void line(StringBuilder out, List<String> cells) {
        for (int c = 0; c < cells.size(); c++) {
            if (c > 0) {
                out.append(',');
            }
            String v = cells.get(c) == null ? "" : cells.get(c);
            if (!v.isEmpty() && "=+-@\t\r".indexOf(v.charAt(0)) >= 0 && !v.matches("-?\\d+")) {
                v = "'" + v;
            }
            if (v.indexOf(',') >= 0 || v.indexOf('"') >= 0 || v.indexOf('\n') >= 0 || v.indexOf('\r') >= 0) {
                v = '"' + v.replace("\"", "\"\"") + '"';
            }
            out.append(v);
        }
        out.append("\r\n");
    }
}
