package dev.parley.provider;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.IntStream;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithKeys;
import io.smallrye.config.WithParentName;

/**
 * Who answers model requests: the numbered upstreams ({@code PARLEY_UPSTREAM_<n>_*}), the demo model
 * ({@code PARLEY_DEMO_*}) and the default model ({@code PARLEY_DEFAULT_MODEL}).
 */
@ConfigMapping(prefix = "parley")
public interface ProviderSettings {

    int MAX_UPSTREAMS = 32;

    Upstreams upstream();

    Demo demo();

    /** The model for conversations and requests that name none; the demo model, or the first an upstream lists. */
    Optional<String> defaultModel();

    interface Upstreams {
        @WithDefault("5s")
        Duration connectTimeout();

        /** Connection pool size to upstreams (one per concurrent stream). */
        @WithDefault("1000")
        int maxConnections();

        /** Requests that may wait for a pooled connection per upstream; a new turn beyond them gets 503 overloaded. */
        @WithDefault("1000")
        int maxWaitQueue();

        /** The longest a request waits for a connection (in the queue, then connecting) before it fails over. */
        @WithDefault("10s")
        Duration poolWaitTimeout();

        /** How often an upstream without a configured model list is asked which models it serves (0: only at start). */
        @WithDefault("10m")
        Duration modelsRefresh();

        /**
         * How long a tenant's upstreams and model allowlist are remembered: a change made through this process applies
         * at once, one made through another replica within this time.
         */
        @WithDefault("5s")
        Duration tenantCacheTtl();

        /** Longest silence from a tenant's own upstream before the request fails. */
        @WithDefault("60s")
        Duration tenantTimeout();

        /**
         * Upstream {@code n} = 1, 2, ... {@link #MAX_UPSTREAMS}. The keys are listed so that
         * {@code PARLEY_UPSTREAM_1_URL} maps to {@code parley.upstream.1.url}: an environment variable name alone
         * cannot say where a map key ends.
         */
        @WithParentName
        @WithKeys(Numbers.class)
        Map<String, Upstream> numbered();
    }

    interface Upstream {
        /** Base URL of the OpenAI-compatible API, e.g. {@code https://api.openai.com/v1}; unset: no upstream n. */
        Optional<String> url();

        /** Sent as {@code Authorization: Bearer}. */
        Optional<String> apiKey();

        /**
         * Comma-separated models it serves; unset: the models it reports on its own {@code GET /models}; {@code *}:
         * any name.
         */
        Optional<String> models();

        /** Name used in logs and errors; {@code upstream-<n>} when unset. */
        Optional<String> name();

        /** Longest silence from the upstream before the request fails. */
        @WithDefault("60s")
        Duration timeout();
    }

    interface Demo {
        /** Offer the built-in demo model; by default only when no upstream is configured. */
        Optional<Boolean> enabled();

        /** Pause between the demo model's words. */
        @WithDefault("30ms")
        Duration tokenDelay();
    }

    /** The upstream numbers 1 to {@link #MAX_UPSTREAMS}. */
    final class Numbers implements Supplier<Iterable<String>> {
        @Override
        public Iterable<String> get() {
            List<String> keys = IntStream.rangeClosed(1, MAX_UPSTREAMS).mapToObj(String::valueOf).toList();
            return keys;
        }
    }
}
