package dev.parley.store.postgres;

import java.util.function.Function;

import jakarta.enterprise.context.ApplicationScoped;

import org.hibernate.reactive.mutiny.Mutiny;

import io.quarkus.arc.InjectableInstance;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * Opens Hibernate Reactive transactions. Hibernate Reactive must run on a Vert.x context; HTTP requests already are,
 * while start-up and background tasks are not, so those calls hop onto a fresh duplicated context first.
 */
@ApplicationScoped
class PgSessions {

    // Through Instance: the session factory bean is inactive on SQLite, and a direct injection point would make
    // Quarkus initialise it eagerly at start-up.
    private final InjectableInstance<Mutiny.SessionFactory> sessionFactory;
    private final Vertx vertx;

    PgSessions(InjectableInstance<Mutiny.SessionFactory> sessionFactory, Vertx vertx) {
        this.sessionFactory = sessionFactory;
        this.vertx = vertx;
    }

    <T> Uni<T> inTransaction(Function<Mutiny.Session, Uni<T>> work) {
        return onVertxContext(() -> sessionFactory.get().withTransaction((session, tx) -> work.apply(session)));
    }

    /**
     * Runs without an explicit transaction: for single-statement work (each statement commits on its own), which
     * saves the BEGIN and COMMIT round trips on the hot paths.
     */
    <T> Uni<T> inSession(Function<Mutiny.Session, Uni<T>> work) {
        return onVertxContext(() -> sessionFactory.get().withSession(work));
    }

    private <T> Uni<T> onVertxContext(java.util.function.Supplier<Uni<T>> work) {
        if (Vertx.currentContext() != null && Context.isOnEventLoopThread()) {
            return work.get();
        }
        return Uni.createFrom().emitter(emitter -> {
            Context context = VertxContext.getOrCreateDuplicatedContext(vertx);
            io.quarkus.vertx.core.runtime.context.VertxContextSafetyToggle.setContextSafe(context, true);
            context.runOnContext(v -> work.get().subscribe().with(emitter::complete, emitter::fail));
        });
    }
}
