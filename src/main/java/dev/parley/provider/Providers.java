package dev.parley.provider;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.Config;
import org.jboss.logging.Logger;

import io.smallrye.mutiny.Multi;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;

/**
 * Chooses who answers a model request. Upstreams are configured as {@code PARLEY_UPSTREAM_<n>_URL} (n = 1, 2, ...)
 * with optional {@code _API_KEY}, {@code _MODELS} (comma-separated; empty takes any model), {@code _NAME} and
 * {@code _TIMEOUT}. Requests for a model rotate round-robin over the upstreams that serve it; one that fails before
 * the first token is skipped for the next. The demo provider answers model {@code demo}.
 */
@ApplicationScoped
public class Providers {

    private static final Logger LOG = Logger.getLogger(Providers.class);
    private static final int MAX_UPSTREAMS = 32;

    @Inject
    Vertx vertx;

    @Inject
    Config config;

    private final List<OpenAiUpstream> upstreams = new ArrayList<>();
    private final AtomicInteger next = new AtomicInteger();
    private DemoProvider demo;
    private String defaultModel;
    private HttpClient client;

    @PostConstruct
    void configure() {
        Duration connectTimeout = config.getOptionalValue("parley.upstream.connect-timeout", Duration.class)
                .orElse(Duration.ofSeconds(5));
        int maxConnections = config.getOptionalValue("parley.upstream.max-connections", Integer.class).orElse(1000);
        client = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout((int) connectTimeout.toMillis())
                .setMaxPoolSize(maxConnections).setKeepAlive(true).setTryUseCompression(false));
        for (int n = 1; n <= MAX_UPSTREAMS; n++) {
            String prefix = "parley.upstream." + n + ".";
            Optional<String> url = config.getOptionalValue(prefix + "url", String.class);
            if (url.isEmpty() || url.get().isBlank()) {
                continue;
            }
            Set<String> models = new LinkedHashSet<>();
            config.getOptionalValue(prefix + "models", String.class).ifPresent(list -> Arrays.stream(list.split(","))
                    .map(String::trim).filter(s -> !s.isEmpty() && !s.equals("*")).forEach(models::add));
            String name = config.getOptionalValue(prefix + "name", String.class).orElse("upstream-" + n);
            upstreams.add(new OpenAiUpstream(name, url.get().trim(),
                    config.getOptionalValue(prefix + "api-key", String.class).orElse(null), models,
                    config.getOptionalValue(prefix + "timeout", Duration.class).orElse(Duration.ofSeconds(60)),
                    client));
            LOG.infof("Upstream %s at %s serves %s", name, url.get().trim(),
                    models.isEmpty() ? "any model" : String.join(", ", models));
        }
        boolean demoEnabled = config.getOptionalValue("parley.demo.enabled", Boolean.class)
                .orElse(upstreams.isEmpty());
        if (demoEnabled) {
            demo = new DemoProvider(config.getOptionalValue("parley.demo.token-delay", Duration.class)
                    .orElse(Duration.ofMillis(30)));
        }
        defaultModel = config.getOptionalValue("parley.default-model", String.class).filter(s -> !s.isBlank())
                .orElseGet(() -> demo != null ? DemoProvider.MODEL
                        : models().stream().findFirst().orElse(DemoProvider.MODEL));
    }

    /** The model used when a request names none. */
    public String defaultModel() {
        return defaultModel;
    }

    /** Model names this installation advertises (upstreams that take any model add none). */
    public List<String> models() {
        Set<String> names = new LinkedHashSet<>();
        if (demo != null) {
            names.add(DemoProvider.MODEL);
        }
        upstreams.forEach(u -> names.addAll(u.models()));
        return List.copyOf(names);
    }

    /** Fails fast, before anything is stored, when nobody serves the model. */
    public void checkServed(String model) {
        if (candidates(model).isEmpty() && !(demo != null && DemoProvider.MODEL.equals(model))) {
            throw new UnknownModelException(model, models());
        }
    }

    public Multi<ProviderChunk> stream(ProviderRequest request) {
        if (demo != null && DemoProvider.MODEL.equals(request.model())) {
            return demo.stream(request);
        }
        List<OpenAiUpstream> candidates = candidates(request.model());
        if (candidates.isEmpty()) {
            return Multi.createFrom().failure(new UnknownModelException(request.model(), models()));
        }
        int start = Math.floorMod(next.getAndIncrement(), candidates.size());
        List<OpenAiUpstream> order = new ArrayList<>(candidates.size());
        for (int i = 0; i < candidates.size(); i++) {
            order.add(candidates.get((start + i) % candidates.size()));
        }
        return attempt(order, 0, request);
    }

    private List<OpenAiUpstream> candidates(String model) {
        return upstreams.stream().filter(u -> u.serves(model)).toList();
    }

    /**
     * Tries upstream {@code i}; if it fails before producing any text, the next one gets the request. One extra
     * attempt, on the first upstream again, is allowed for a connection-level failure: a pooled keep-alive
     * connection that the upstream had just closed fails the request before any answer, and a fresh connection
     * is all it takes.
     */
    private Multi<ProviderChunk> attempt(List<OpenAiUpstream> order, int i, ProviderRequest request) {
        OpenAiUpstream upstream = order.get(i % order.size());
        AtomicBoolean producedText = new AtomicBoolean();
        return upstream.stream(request)
                .onItem().invoke(chunk -> {
                    if (chunk instanceof ProviderChunk.Text) {
                        producedText.set(true);
                    }
                })
                .onFailure(e -> !producedText.get() && mayTryAgain(order, i + 1, e))
                .recoverWithMulti(e -> {
                    LOG.warnf("Upstream %s failed before the first token (%s); trying %s", upstream.name(),
                            e.getMessage(), order.get((i + 1) % order.size()).name());
                    return attempt(order, i + 1, request);
                });
    }

    private static boolean mayTryAgain(List<OpenAiUpstream> order, int next, Throwable e) {
        if (next < order.size()) {
            return worthRetrying(e);
        }
        return next == order.size() && e instanceof ProviderException p && p.upstreamStatus() == 0;
    }

    /** A request the upstream judged invalid would be just as invalid elsewhere. */
    private static boolean worthRetrying(Throwable e) {
        return !(e instanceof ProviderException p) || (p.upstreamStatus() != 400 && p.upstreamStatus() != 422);
    }

    @PreDestroy
    void close() {
        if (client != null) {
            client.close();
        }
    }
}
