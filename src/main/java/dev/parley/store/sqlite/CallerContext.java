package dev.parley.store.sqlite;

import io.smallrye.mutiny.subscription.UniEmitter;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * Completes a result back on the Vert.x context that asked for it, so that response writing never runs on (and
 * slows down) the SQLite writer or reader threads.
 */
final class CallerContext {

    private final Context context;

    private CallerContext(Context context) {
        this.context = context;
    }

    static CallerContext capture() {
        return new CallerContext(Vertx.currentContext());
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
