/*
 * One query, or a few, against a running Parley: N clients on one Vert.x event loop, each sending the next search as
 * soon as the previous one is answered, for S seconds; prints searches/s and the p50/p99 latency. For studying one
 * kind of query on a database kept by SearchLoad (--keep true), not a benchmark of its own:
 *
 *   java -cp "target/quarkus-app/lib/main/*" bench/SearchHammer.java PORT CLIENTS SECONDS KEY 'query[,query...]'
 */

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

public class SearchHammer {

    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.err.println("usage: SearchHammer PORT CLIENTS SECONDS KEY 'query[,query...]'");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        int clients = Integer.parseInt(args[1]);
        int seconds = Integer.parseInt(args[2]);
        String key = args[3];
        List<String> queries = List.of(args[4].split(","));
        Vertx vertx = Vertx.vertx();
        HttpClient http = vertx.createHttpClient(new HttpClientOptions().setDefaultPort(port)
                .setDefaultHost("127.0.0.1"), new PoolOptions().setHttp1MaxSize(clients));
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger errors = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(clients);
        Random random = new Random(1);
        for (int i = 0; i < clients; i++) {
            Runnable[] next = new Runnable[1];
            next[0] = () -> {
                if (System.nanoTime() > end) {
                    done.countDown();
                    return;
                }
                String q = queries.get(random.nextInt(queries.size()));
                long start = System.nanoTime();
                http.request(HttpMethod.GET, "/api/search?limit=20&q=" + URLEncoder.encode(q, StandardCharsets.UTF_8))
                        .compose(req -> req.putHeader("Authorization", "Bearer " + key)
                                .putHeader("Accept", "application/json").send()
                                .compose(resp -> resp.body().map(body -> {
                                    if (resp.statusCode() != 200) {
                                        errors.incrementAndGet();
                                    }
                                    return body;
                                })))
                        .onComplete(ar -> {
                            if (ar.failed()) {
                                errors.incrementAndGet();
                            }
                            latencies.add(System.nanoTime() - start);
                            next[0].run();
                        });
            };
            vertx.runOnContext(v -> next[0].run());
        }
        done.await();
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        System.out.printf("searches=%d perSec=%.1f p50=%.2fms p99=%.2fms errors=%d%n", sorted.size(),
                sorted.size() / (double) seconds, sorted.get(sorted.size() / 2) / 1e6,
                sorted.get((int) (sorted.size() * 0.99)) / 1e6, errors.get());
        vertx.close();
    }
}
