package dev.parley.api;

import java.util.Iterator;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import dev.parley.store.Limits;

/**
 * A limits object as clients send it: {@code requestsPerMinute}, {@code tokensPerMinute}, {@code concurrentTurns},
 * {@code monthlyTokenBudget}, each a whole number of at least 0 or null (or absent) for unlimited. Read strictly, so
 * that a misspelt name is an error rather than a limit silently not set.
 */
final class LimitsBody {

    static final Set<String> NAMES = Set.of("requestsPerMinute", "tokensPerMinute", "concurrentTurns",
            "monthlyTokenBudget");

    private LimitsBody() {
    }

    static Limits parse(JsonNode body, String where) {
        if (body == null || !body.isObject()) {
            throw ApiProblem.badRequest(where + " must be a JSON object with " + String.join(", ", NAMES.stream()
                    .sorted().toList()));
        }
        for (Iterator<String> names = body.fieldNames(); names.hasNext();) {
            String name = names.next();
            if (!NAMES.contains(name)) {
                throw ApiProblem.badRequest(where + " has an unknown field '" + name
                        + "'; limits are requestsPerMinute, tokensPerMinute, concurrentTurns, monthlyTokenBudget");
            }
        }
        return new Limits(value(body, "requestsPerMinute", where), value(body, "tokensPerMinute", where),
                value(body, "concurrentTurns", where), value(body, "monthlyTokenBudget", where));
    }

    private static Long value(JsonNode body, String name, String where) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
            throw ApiProblem.badRequest(where + "." + name + " must be a whole number of at least 0, or null for "
                    + "unlimited");
        }
        return v.asLong();
    }
}
