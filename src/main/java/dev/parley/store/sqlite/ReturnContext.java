package dev.parley.store.sqlite;

import io.smallrye.mutiny.subscription.UniEmitter;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * The Vert.x context a database call came from, so that its result is completed back there: response writing then
 * never runs on (and slows down) the SQLite writer or reader threads.
 */
final class ReturnContext {

    private final Context context;

    private ReturnContext(Context context) {
        this.context = context;
    }

    static ReturnContext capture() {
        return new ReturnContext(Vertx.currentContext());
    }

    <T> void complete(UniEmitter<? super T> emitter, T value) {
        if (context == null) {
            emitter.complete(value);
        } else {
            context.runOnContext(v -> emitter.complete(value));
        }
    }

    void fail(UniEmitter<?> emitter, Throwable failure) {
        if (context == null) {
            emitter.fail(failure);
        } else {
            context.runOnContext(v -> emitter.fail(failure));
        }
    }
}
