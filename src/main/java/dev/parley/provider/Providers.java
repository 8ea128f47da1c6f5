package dev.parley.provider;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.operators.multi.AbstractMultiOperator;
import io.smallrye.mutiny.operators.multi.MultiOperatorProcessor;
import io.smallrye.mutiny.subscription.MultiSubscriber;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;

/**
 * The operator's {@link ChatProvider}s, and how a request is spread over providers: the upstreams
 * ({@code PARLEY_UPSTREAM_<n>_URL}, n = 1, 2, ..., see {@link ProviderSettings}) and the demo model. Requests for a
 * model rotate round-robin over the providers that serve it; one that fails before the first token is skipped for
 * the next. An upstream without {@code PARLEY_UPSTREAM_<n>_MODELS} serves the models it reports on its own
 * {@code GET /models}, asked at start and every {@code PARLEY_UPSTREAM_MODELS_REFRESH}; only {@code *} takes any
 * name. Which of them a tenant may use, and its own upstreams, are {@link ModelAccess}'s concern.
 */
@ApplicationScoped
public class Providers {

    private static final Logger LOG = Logger.getLogger(Providers.class);

    private final List<ChatProvider> providers = new ArrayList<>();
    private final AtomicInteger next = new AtomicInteger();
    private final java.util.Optional<String> configuredDefault;
    private final UpstreamClients clients;
    private final OpenAiUpstream.Pool pool;
    private final Vertx vertx;
    private final java.time.Duration modelsRefresh;
    private volatile long refreshTimer = -1;

    Providers(Vertx vertx, ProviderSettings settings) {
        this.vertx = vertx;
        ProviderSettings.Upstreams upstreams = settings.upstream();
        clients = new UpstreamClients(vertx, new HttpClientOptions()
                .setConnectTimeout((int) upstreams.connectTimeout().toMillis())
                .setKeepAlive(true).setTryUseCompression(false), upstreams.maxConnections(), upstreams.maxWaitQueue());
        pool = new OpenAiUpstream.Pool(clients, upstreams.maxConnections() + upstreams.maxWaitQueue(),
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
            // any name only when written explicitly: an unlisted upstream would spend its key on whatever is asked
            boolean any = u.models().filter(list -> Arrays.stream(list.split(",")).map(String::trim)
                    .anyMatch("*"::equals)).isPresent();
            String name = u.name().orElse("upstream-" + n);
            String url = u.url().get().trim();
            providers.add(new OpenAiUpstream(name, url, u.apiKey().orElse(null), models, any, u.timeout(), pool));
            LOG.infof("Upstream %s at %s serves %s", name, OpenAiUpstream.withoutCredentials(url),
                    any ? "any model (*)" + (models.isEmpty() ? "" : ", listing " + String.join(", ", models))
                            : models.isEmpty() ? "the models it reports on GET /models" : String.join(", ", models));
        });
        boolean demo = settings.demo().enabled().orElse(providers.isEmpty());
        if (demo) {
            providers.add(0, new DemoProvider(settings.demo().tokenDelay()));
        }
        configuredDefault = settings.defaultModel().filter(s -> !s.isBlank());
        modelsRefresh = upstreams.modelsRefresh();
    }

    /** At start, and then every {@code PARLEY_UPSTREAM_MODELS_REFRESH}: the unlisted upstreams' models. */
    void onStart(@Observes StartupEvent event) {
        if (providers.stream().noneMatch(p -> p instanceof OpenAiUpstream u && u.discovers())) {
            return;
        }
        refreshModels().subscribe().with(v -> {
        }, e -> {
        });
        if (!modelsRefresh.isZero() && !modelsRefresh.isNegative()) {
            refreshTimer = vertx.setPeriodic(modelsRefresh.toMillis(), id -> refreshModels().subscribe().with(v -> {
            }, e -> {
            }));
        }
    }

    /** Asks every upstream without a configured model list what it serves; completes when all have answered. */
    public Uni<Void> refreshModels() {
        List<Uni<Void>> asks = providers.stream().filter(p -> p instanceof OpenAiUpstream u && u.discovers())
                .map(p -> (OpenAiUpstream) p)
                .map(u -> u.refreshModels()
                        .invoke(found -> LOG.infof("Upstream %s reports %d models: %s", u.name(), found.size(),
                                String.join(", ", found)))
                        .onFailure().invoke(e -> LOG.warnf("Upstream %s: cannot list its models (%s); it keeps "
                                + "serving %s", u.name(), e.getMessage(), u.models().isEmpty() ? "nothing"
                                        : String.join(", ", u.models())))
                        .onFailure().recoverWithNull().replaceWithVoid())
                .toList();
        return asks.isEmpty() ? Uni.createFrom().voidItem() : Uni.join().all(asks).andFailFast().replaceWithVoid();
    }

    /** The model used when a request names none: the configured one, else the demo or the first one served. */
    public String defaultModel() {
        return configuredDefault.orElseGet(() -> models().stream().findFirst().orElse(DemoProvider.MODEL));
    }

    /** Model names this installation advertises (upstreams that take any model add none). */
    public List<String> models() {
        Set<String> names = new LinkedHashSet<>();
        providers.forEach(p -> names.addAll(p.models()));
        return List.copyOf(names);
    }

    /** Whether an operator provider serves {@code model}. */
    public boolean serves(String model) {
        return !candidates(model).isEmpty();
    }

    OpenAiUpstream.Pool pool() {
        return pool;
    }

    /**
     * The route over {@code candidates} (none empty); {@link OverloadedException} when every one is at its
     * connection limit and wait queue.
     */
    Route route(String model, List<ChatProvider> candidates) {
        if (candidates.stream().allMatch(ChatProvider::saturated)) {
            throw new OverloadedException(model);
        }
        return new Route(model, candidates, this);
    }

    public Multi<ProviderChunk> stream(ProviderRequest request) {
        List<ChatProvider> candidates = candidates(request.model());
        if (candidates.isEmpty()) {
            return Multi.createFrom().failure(new UnknownModelException(request.model(), models()));
        }
        return stream(candidates, request);
    }

    Multi<ProviderChunk> stream(List<ChatProvider> candidates, ProviderRequest request) {
        int start = Math.floorMod(next.getAndIncrement(), candidates.size());
        List<ChatProvider> order = new ArrayList<>(candidates.size());
        for (int i = 0; i < candidates.size(); i++) {
            order.add(candidates.get((start + i) % candidates.size()));
        }
        return attempt(order, 0, request);
    }

    List<ChatProvider> candidates(String model) {
        return providers.stream().filter(p -> p.serves(model)).toList();
    }

    /**
     * Tries provider {@code i}; if it fails before producing any text, the next one gets the request. One extra
     * attempt, on the first one again, is allowed for a connection-level failure: a pooled keep-alive connection that
     * the upstream had just closed fails the request before any answer, and a fresh connection is all it takes. The
     * request (the whole prompt) is let go at the first text, when no other provider can take the turn any more.
     */
    static Multi<ProviderChunk> attempt(List<ChatProvider> order, int i, ProviderRequest request) {
        ChatProvider provider = order.get(i % order.size());
        AtomicReference<ProviderRequest> untilText = new AtomicReference<>(request);
        // the provider's stream is made at subscription, so that no step of the attempt keeps the request
        return new NotingText(Multi.createFrom().deferred(() -> provider.stream(untilText.get())), untilText)
                .onFailure(e -> untilText.get() != null && mayTryAgain(order, i + 1, e))
                .recoverWithMulti(e -> {
                    LOG.warnf("Upstream %s failed before the first token (%s); trying %s", provider.name(),
                            e.getMessage(), order.get((i + 1) % order.size()).name());
                    return attempt(order, i + 1, untilText.get());
                });
    }

    /**
     * The provider's chunks as they are, letting go of the request at the first text: an operator of its own, where
     * {@code onItem().invoke(...)} would call its callback through Mutiny's context-propagation wrapper at every chunk.
     */
    private static final class NotingText extends AbstractMultiOperator<ProviderChunk, ProviderChunk> {
        private final AtomicReference<ProviderRequest> untilText;

        NotingText(Multi<ProviderChunk> upstream, AtomicReference<ProviderRequest> untilText) {
            super(upstream);
            this.untilText = untilText;
        }

        @Override
        public void subscribe(MultiSubscriber<? super ProviderChunk> downstream) {
            upstream.subscribe().withSubscriber(new MultiOperatorProcessor<ProviderChunk, ProviderChunk>(downstream) {
                @Override
                public void onItem(ProviderChunk chunk) {
                    if (chunk instanceof ProviderChunk.Text && untilText.get() != null) {
                        untilText.set(null);
                    }
                    super.onItem(chunk);
                }
            });
        }
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
        if (refreshTimer >= 0) {
            vertx.cancelTimer(refreshTimer);
        }
        clients.close();
    }
}
