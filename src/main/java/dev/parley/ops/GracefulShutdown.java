package dev.parley.ops;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import dev.parley.chat.InFlightTurns;
import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import sun.misc.Signal;

/**
 * The orderly stop (SIGTERM), in this order:
 * <ol>
 * <li>Quarkus' pre-shutdown: readiness goes DOWN, and the service carries on as usual for the drain delay
 * ({@code PARLEY_SHUTDOWN_DRAIN_DELAY}, which Quarkus' {@code quarkus.shutdown.delay} follows) so that load balancers stop sending
 * traffic;</li>
 * <li>{@link #startDrain}: after the delay, new chat turns are refused with 503, and the turns in flight may finish
 * within the grace period ({@code parley.shutdown.grace}); turns still running near its end are cut and stored as
 * partial (finish reason {@code shutdown}). Meanwhile Quarkus waits, for at most the grace period
 * ({@code quarkus.shutdown.timeout}), until the open HTTP requests, the reply streams among them, are done;</li>
 * <li>Quarkus closes the HTTP server, then fires {@link ShutdownEvent}: {@link #awaitDrain} makes sure the drain is
 * over, the key-use times are written ({@code KeyUseRecorder}, priority 1), and {@link #closeDatabase} stops the
 * write probe and lets the SQLite writer commit everything still queued, checkpoint and close.</li>
 * </ol>
 * The drain cannot wait in a {@link ShutdownEvent} observer: by then Quarkus has closed the HTTP server, which cuts
 * every open stream.
 */
@ApplicationScoped
public class GracefulShutdown {

    private static final Logger LOG = Logger.getLogger(GracefulShutdown.class);
    /** Turns still running this long (at most a fifth of the grace period) before its end are cut. */
    private static final Duration CUT_BEFORE_END = Duration.ofSeconds(2);

    private final InFlightTurns turns;
    private final WriteProbe writeProbe;
    private final DatabaseStartup database;
    private final Duration grace;
    private final Duration drainDelay;

    GracefulShutdown(InFlightTurns turns, WriteProbe writeProbe, DatabaseStartup database,
            ShutdownSettings settings) {
        this.turns = turns;
        this.writeProbe = writeProbe;
        this.database = database;
        this.grace = settings.grace();
        this.drainDelay = settings.drainDelay();
    }

    private final AtomicBoolean draining = new AtomicBoolean();
    private final CountDownLatch drained = new CountDownLatch(1);
    private volatile long startNanos = System.nanoTime();

    /**
     * SIGTERM is how Kubernetes, systemd and {@code docker stop} end a service: an orderly stop, so the process exits
     * 0 once the shutdown is done, rather than the JVM's 143 (128 + SIGTERM). The sequence is the same either way.
     */
    void exitZeroOnSigterm(@Observes StartupEvent event) {
        if (LaunchMode.current() == LaunchMode.NORMAL) {
            Signal.handle(new Signal("TERM"), signal -> Quarkus.asyncExit(0));
        }
    }

    /** Quarkus' pre-shutdown has begun (readiness is DOWN): drain the chat turns after the drain delay. */
    void startDrain(@Observes ShutdownDelayInitiatedEvent event) {
        startNanos = System.nanoTime();
        Thread drain = new Thread(() -> drain(true), "parley-shutdown-drain");
        drain.setDaemon(true);
        drain.start();
    }

    void awaitDrain(@Observes @Priority(0) ShutdownEvent event) throws InterruptedException {
        drain(false); // only if no pre-shutdown started it (e.g. a dev-mode restart); nothing should be in flight
        drained.await();
    }

    private void drain(boolean afterDelay) {
        if (!draining.compareAndSet(false, true)) {
            return;
        }
        try {
            Duration delay = afterDelay && LaunchMode.current() != LaunchMode.DEVELOPMENT
                    ? drainDelay : Duration.ZERO;
            Thread.sleep(delay.toMillis()); // Quarkus keeps serving as usual meanwhile
            // cut early enough that the partial replies are stored, and the clients told, before the server closes
            Duration margin = grace.dividedBy(5).compareTo(CUT_BEFORE_END) < 0 ? grace.dividedBy(5) : CUT_BEFORE_END;
            Duration cutAfter = grace.minus(margin);
            int inFlight = turns.refuseNew();
            if (inFlight == 0) {
                LOG.info("Shutting down: new chat turns are refused; none in flight");
            } else {
                LOG.infof("Shutting down: new chat turns are refused; the %d in flight get %d ms to finish",
                        inFlight, cutAfter.toMillis());
            }
            InFlightTurns.Drained result = turns.drain(cutAfter, grace.minus(cutAfter));
            if (result.cut() > 0) {
                LOG.warnf("%d of %d chat turns were still running at the end of the %d s grace period: cut and "
                        + "stored as partial (finish reason shutdown)", result.cut(), result.inFlight(),
                        grace.toSeconds());
            } else if (result.inFlight() > 0) {
                LOG.infof("All %d chat turns in flight finished in %d ms", result.inFlight(),
                        result.took().toMillis());
            }
            if (result.unfinished() > 0) {
                LOG.errorf("%d chat turns did not end within the grace period; their replies may be lost",
                        result.unfinished());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LOG.errorf("Interrupted while draining %d chat turns in flight", turns.count());
        } finally {
            drained.countDown();
        }
    }

    void closeDatabase(@Observes @Priority(10_000) ShutdownEvent event) {
        writeProbe.stop();
        database.closeDatabase();
        LOG.infof("Shutdown done %d ms after it began", Duration.ofNanos(System.nanoTime() - startNanos).toMillis());
    }
}
