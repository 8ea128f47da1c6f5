package dev.parley.auth;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What an API key may do. Each scope is a security role of the same name, declared on the resources with
 * {@code @RolesAllowed}: {@code read} every GET, {@code chat} creating, changing and deleting conversations and chat
 * turns (also {@code /v1}), {@code keys} managing its own tenant's keys, {@code upstreams} managing its own tenant's
 * upstreams and their API keys (not part of a tenant's first key: an operator grants it), {@code admin} every
 * tenant, {@code /api/admin/*} and diagnostics, and every other scope with it.
 */
public enum Scope {
    READ, CHAT, KEYS, UPSTREAMS, ADMIN;

    /** The role names, as compile-time constants for {@code @RolesAllowed}. */
    public static final class Names {
        public static final String READ = "read";
        public static final String CHAT = "chat";
        public static final String KEYS = "keys";
        public static final String UPSTREAMS = "upstreams";
        public static final String ADMIN = "admin";

        private Names() {
        }
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @throws IllegalArgumentException naming the known scopes */
    public static Scope of(String id) {
        for (Scope s : values()) {
            if (s.id().equals(id)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown scope '" + id + "'; scopes are "
                + Arrays.stream(values()).map(Scope::id).collect(Collectors.joining(", ")));
    }

    public static Set<Scope> of(Set<String> ids) {
        Set<Scope> scopes = EnumSet.noneOf(Scope.class);
        ids.forEach(id -> scopes.add(of(id)));
        return scopes;
    }

    public static Set<String> ids(Set<Scope> scopes) {
        return scopes.stream().map(Scope::id).collect(Collectors.toUnmodifiableSet());
    }

    /** The scopes a key with {@code granted} effectively has: {@code admin} implies every other. */
    public static Set<Scope> effective(Set<Scope> granted) {
        EnumSet<Scope> scopes = EnumSet.noneOf(Scope.class);
        scopes.addAll(granted);
        return scopes.contains(ADMIN) ? EnumSet.allOf(Scope.class) : scopes;
    }
}
