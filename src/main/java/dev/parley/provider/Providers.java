package dev.parley.provider;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.smallrye.mutiny.Multi;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;

/**
 * Chooses who answers a model request, among the configured {@link ChatProvider}s: the upstreams
 * ({@code PARLEY_UPSTREAM_<n>_URL}, n = 1, 2, ..., see {@link ProviderSettings}) and the demo model. Requests for a
 * model rotate round-robin over the providers that serve it; one that fails before the first token is skipped for
 * the next.
 */
@ApplicationScoped
public class Providers {

    private static final Logger LOG = Logger.getLogger(Providers.class);

    private final List<ChatProvider> providers = new ArrayList<>();
    private final AtomicInteger next = new AtomicInteger();
    private final String defaultModel;
    private final HttpClient client;

    Providers(Vertx vertx, ProviderSettings settings) {
        ProviderSettings.Upstreams upstreams = settings.upstream();
        client = vertx.createHttpClient(new HttpClientOptions()
                .setConnectTimeout((int) upstreams.connectTimeout().toMillis())
                .setKeepAlive(true).setTryUseCompression(false),
                new PoolOptions().setHttp1MaxSize(upstreams.maxConnections())
                        .setMaxWaitQueueSize(upstreams.maxWaitQueue()));
        OpenAiUpstream.Pool pool = new OpenAiUpstream.Pool(client, upstreams.maxConnections() + upstreams.maxWaitQueue(),
                upstreams.poolWaitTimeout());
        // in the order of their numbers, which is the order of the default model's search
        Map<Integer, ProviderSettings.Upstream> numbered = new TreeMap<>();
        upstreams.numbered().forEach((n, u) -> {
            if (u.url().filter(url -> !url.isBlank()).isPresent()) {
                numbered.put(Integer.valueOf(n), u);
            }
        });
        numbered.forEach((n, u) -> {
            Set<String> models = new LinkedHashSet<>();
            u.models().ifPresent(list -> Arrays.stream(list.split(",")).map(String::trim)
                    .filter(s -> !s.isEmpty() && !s.equals("*")).forEach(models::add));
            String name = u.name().orElse("upstream-" + n);
            String url = u.url().get().trim();
            providers.add(new OpenAiUpstream(name, url, u.apiKey().orElse(null), models, u.timeout(), pool));
            LOG.infof("Upstream %s at %s serves %s", name, OpenAiUpstream.withoutCredentials(url),
                    models.isEmpty() ? "any model" : String.join(", ", models));
        });
        boolean demo = settings.demo().enabled().orElse(providers.isEmpty());
        if (demo) {
            providers.add(0, new DemoProvider(settings.demo().tokenDelay()));
        }
        defaultModel = settings.defaultModel().filter(s -> !s.isBlank())
                .orElseGet(() -> models().stream().findFirst().orElse(DemoProvider.MODEL));
    }

    /** The model used when a request names none. */
    public String defaultModel() {
        return defaultModel;
    }

    /** Model names this installation advertises (upstreams that take any model add none). */
    public List<String> models() {
        Set<String> names = new LinkedHashSet<>();
        providers.forEach(p -> names.addAll(p.models()));
        return List.copyOf(names);
    }

    /**
     * Fails fast, before anything is stored, when nobody serves the model ({@link UnknownModelException}) or every
     * upstream that does is at its connection limit and wait queue ({@link OverloadedException}).
     */
    public void checkServed(String model) {
        List<ChatProvider> candidates = candidates(model);
        if (candidates.isEmpty()) {
            throw new UnknownModelException(model, models());
        }
        if (candidates.stream().allMatch(ChatProvider::saturated)) {
            throw new OverloadedException(model);
        }
    }

    public Multi<ProviderChunk> stream(ProviderRequest request) {
        List<ChatProvider> candidates = candidates(request.model());
        if (candidates.isEmpty()) {
            return Multi.createFrom().failure(new UnknownModelException(request.model(), models()));
        }
        int start = Math.floorMod(next.getAndIncrement(), candidates.size());
        List<ChatProvider> order = new ArrayList<>(candidates.size());
        for (int i = 0; i < candidates.size(); i++) {
            order.add(candidates.get((start + i) % candidates.size()));
        }
        return attempt(order, 0, request);
    }

    private List<ChatProvider> candidates(String model) {
        return providers.stream().filter(p -> p.serves(model)).toList();
    }

    /**
     * Tries provider {@code i}; if it fails before producing any text, the next one gets the request. One extra
     * attempt, on the first one again, is allowed for a connection-level failure: a pooled keep-alive connection that
     * the upstream had just closed fails the request before any answer, and a fresh connection is all it takes.
     */
    private Multi<ProviderChunk> attempt(List<ChatProvider> order, int i, ProviderRequest request) {
        ChatProvider provider = order.get(i % order.size());
        AtomicBoolean producedText = new AtomicBoolean();
        return provider.stream(request)
                .onItem().invoke(chunk -> {
                    if (chunk instanceof ProviderChunk.Text) {
                        producedText.set(true);
                    }
                })
                .onFailure(e -> !producedText.get() && mayTryAgain(order, i + 1, e))
                .recoverWithMulti(e -> {
                    LOG.warnf("Upstream %s failed before the first token (%s); trying %s", provider.name(),
                            e.getMessage(), order.get((i + 1) % order.size()).name());
                    return attempt(order, i + 1, request);
                });
    }

    private static boolean mayTryAgain(List<ChatProvider> order, int next, Throwable e) {
        if (next < order.size()) {
            return worthRetrying(e);
        }
        return next == order.size() && e instanceof UpstreamException u && u.upstreamStatus() == 0;
    }

    /** A request the upstream judged invalid would be just as invalid elsewhere. */
    private static boolean worthRetrying(Throwable e) {
        return !(e instanceof UpstreamException u) || (u.upstreamStatus() != 400 && u.upstreamStatus() != 422);
    }

    @PreDestroy
    void close() {
        client.close();
    }
}
