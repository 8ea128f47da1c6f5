package dev.parley.api;

import java.util.UUID;

import dev.parley.store.Cursor;
import dev.parley.store.StorableText;
import dev.parley.store.TextCursor;

/** Query parameters of list endpoints, validated into a cursor and a limit. */
record Paging(Cursor after, int limit) {

    static final int DEFAULT_LIMIT = 20;
    static final int MAX_LIMIT = 100;

    static Paging parse(String cursor, String limit) {
        int n = DEFAULT_LIMIT;
        if (limit != null && !limit.isBlank()) {
            try {
                n = Integer.parseInt(limit.trim());
            } catch (NumberFormatException e) {
                throw ApiProblem.badRequest("limit must be a whole number from 1 to " + MAX_LIMIT);
            }
            if (n < 1 || n > MAX_LIMIT) {
                throw ApiProblem.badRequest("limit must be a whole number from 1 to " + MAX_LIMIT);
            }
        }
        Cursor after = null;
        if (cursor != null && !cursor.isBlank()) {
            try {
                after = Cursor.decode(cursor.trim());
            } catch (IllegalArgumentException e) {
                throw ApiProblem.badRequest("cursor is not one this service issued: " + e.getMessage());
            }
        }
        return new Paging(after, n);
    }

    /** A cursor of a list keyed by text ids (Stripe's); null when none was sent. */
    static TextCursor textCursor(String cursor) {
        if (cursor == null || cursor.isBlank()) {
            return null;
        }
        try {
            return TextCursor.decode(cursor.trim());
        } catch (IllegalArgumentException e) {
            throw ApiProblem.badRequest("cursor is not one this service issued: " + e.getMessage());
        }
    }

    /** A true/false query parameter; false when absent. */
    static boolean flag(String name, String value) {
        if (value == null || value.isBlank()) {
            return false;
        }
        return switch (value.trim().toLowerCase()) {
            case "true" -> true;
            case "false" -> false;
            default -> throw ApiProblem.badRequest(name + " must be true or false");
        };
    }

    /** Ids in paths: a malformed id names nothing, so it is a 404 like any unknown id. */
    static UUID id(String text, String what) {
        try {
            if (text.length() == 36) {
                return UUID.fromString(text);
            }
        } catch (IllegalArgumentException e) {
            // fall through
        }
        // echo only a short, storable part of whatever was sent
        String shown = StorableText.sanitize(text.length() > 64 ? text.substring(0, 64) + "…" : text);
        throw ApiProblem.notFound(what + " " + shown + " does not exist");
    }
}
