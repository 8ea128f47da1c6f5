package dev.parley.provider;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.impl.ContextInternal;
import io.vertx.core.impl.VertxInternal;

/**
 * {@link UpstreamClients}: a request made on an event loop goes through that loop's client, so that its connection
 * lives on that loop and no chunk of its reply is handed between loops (with one client for all loops, the second
 * request, from another loop, is given the first one's kept-alive connection); each client has its share of the
 * connections.
 */
class UpstreamClientsTest {

    static final int LOOPS = 4;

    Vertx vertx;
    HttpServer server;

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(LOOPS));
        server = vertx.createHttpServer().requestHandler(r -> r.response().end("ok")).listen(0)
                .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void eachEventLoopHasItsOwnClientAndTheRepliesStayOnIt() throws Exception {
        UpstreamClients clients = new UpstreamClients(vertx, new HttpClientOptions(), 10, 3);
        assertThat(clients.size()).isEqualTo(LOOPS);
        Map<HttpClient, Thread> loopOf = new IdentityHashMap<>();
        Set<Thread> loops = new HashSet<>();
        // contexts on every loop: Vert.x hands new event-loop contexts to its loops in turn
        List<Context> contexts = new ArrayList<>();
        for (int i = 0; i < LOOPS * 2; i++) {
            contexts.add(((VertxInternal) vertx).createEventLoopContext());
        }
        for (Context context : contexts) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            // a duplicated context, as a request's is, on the same loop
            ((ContextInternal) context).duplicate().runOnContext(v -> {
                try {
                    Thread loop = Thread.currentThread();
                    loops.add(loop);
                    HttpClient client = clients.current();
                    assertThat(clients.current()).isSameAs(client);
                    Thread earlier = loopOf.putIfAbsent(client, loop);
                    assertThat(earlier == null || earlier == loop).as("one client, one loop").isTrue();
                    client.request(new RequestOptions().setMethod(HttpMethod.GET).setPort(server.actualPort())
                            .setHost("127.0.0.1").setURI("/")).compose(req -> {
                                // the connection's own loop, where its bytes are read: the request's, so that no
                                // chunk of the reply has to be handed from one loop to another
                                var connection = (io.vertx.core.net.impl.ConnectionBase) req.connection();
                                if (!connection.channel().eventLoop().inEventLoop(loop)) {
                                    throw new AssertionError("connection on another loop than " + loop);
                                }
                                return req.send();
                            })
                            .compose(response -> response.body())
                            .onSuccess(body -> done.complete(null)).onFailure(done::completeExceptionally);
                } catch (Throwable t) {
                    done.completeExceptionally(t);
                }
            });
            done.get(10, TimeUnit.SECONDS);
        }
        assertThat(loops).hasSize(LOOPS);
        assertThat(loopOf).hasSize(LOOPS);
    }

    @Test
    void offTheEventLoopsTheClientsAreTakenInTurn() {
        UpstreamClients clients = new UpstreamClients(vertx, new HttpClientOptions(), 10, 3);
        Set<HttpClient> seen = new HashSet<>();
        for (int i = 0; i < LOOPS; i++) {
            seen.add(clients.current());
        }
        assertThat(seen).hasSize(LOOPS);
    }

    @Test
    void theConnectionsAndTheWaitQueueAreShared() {
        assertThat(UpstreamClients.share(1000, 4)).isEqualTo(250);
        assertThat(UpstreamClients.share(10, 4)).isEqualTo(3);
        assertThat(UpstreamClients.share(1, 4)).isEqualTo(1);
        assertThat(UpstreamClients.share(0, 4)).isZero();
        assertThat(UpstreamClients.share(-1, 4)).isEqualTo(-1);
    }
}
