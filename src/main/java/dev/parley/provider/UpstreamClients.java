package dev.parley.provider;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.impl.ContextInternal;

/**
 * The HTTP clients to the upstreams: one per Vert.x event loop, each with an even share of the connections
 * ({@code PARLEY_UPSTREAM_MAX_CONNECTIONS}, rounded up) and of the wait queue. A request goes through the client of
 * the event loop it is made on, so its connection lives on that loop and every chunk of the reply is handled there,
 * where the client's own request is written. With one client for all loops, Vert.x hands a request the connection
 * used last, whatever its loop, and then every chunk crosses from the connection's loop to the request's: a task
 * queued and a thread woken per token (bench/README.md, StreamLoad). How many requests an upstream may have pending
 * in all is still counted across the loops ({@link OpenAiUpstream#saturated}). A request made off the event loops
 * (none is today) takes the clients in turn.
 */
final class UpstreamClients {

    private final Map<EventLoop, HttpClient> byLoop = new IdentityHashMap<>();
    private final List<HttpClient> all = new ArrayList<>();
    private final AtomicInteger turn = new AtomicInteger();

    UpstreamClients(Vertx vertx, HttpClientOptions options, int maxConnections, int maxWaitQueue) {
        List<EventLoop> loops = new ArrayList<>();
        for (EventExecutor e : vertx.nettyEventLoopGroup()) {
            loops.add((EventLoop) e);
        }
        int n = loops.size();
        for (EventLoop loop : loops) {
            HttpClient client = vertx.createHttpClient(new HttpClientOptions(options), new PoolOptions()
                    .setHttp1MaxSize(share(maxConnections, n)).setMaxWaitQueueSize(share(maxWaitQueue, n)));
            byLoop.put(loop, client);
            all.add(client);
        }
    }

    /** An even share, rounded up; a negative value (no bound) stays as it is. */
    static int share(int total, int parts) {
        return total < 0 ? total : (total + parts - 1) / parts;
    }

    /** The client of the event loop this runs on. */
    HttpClient current() {
        Context context = Vertx.currentContext();
        if (context instanceof ContextInternal internal && context.isEventLoopContext()) {
            HttpClient client = byLoop.get(internal.nettyEventLoop());
            if (client != null) {
                return client;
            }
        }
        return all.get(Math.floorMod(turn.getAndIncrement(), all.size()));
    }

    int size() {
        return all.size();
    }

    Future<Void> close() {
        return Future.all(all.stream().map(HttpClient::close).toList()).mapEmpty();
    }
}
