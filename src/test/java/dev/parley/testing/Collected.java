package dev.parley.testing;

import java.lang.ref.WeakReference;

/** Whether the garbage collector can take an object: nothing the caller still holds reaches it. */
public final class Collected {

    private Collected() {
    }

    /** Asks for full collections (at most 20, a few milliseconds apart) until the referent is gone. */
    public static boolean collected(WeakReference<?> ref) throws InterruptedException {
        for (int i = 0; i < 20 && ref.get() != null; i++) {
            System.gc();
            Thread.sleep(5);
        }
        return ref.get() == null;
    }
}
