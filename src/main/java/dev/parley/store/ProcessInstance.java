package dev.parley.store;

import java.net.InetAddress;

/**
 * This process, as the database knows it: its heartbeat row and its share of the turns in flight. Host name and
 * process id, so that several Parley processes on one host (tests, a crowded node) stay apart.
 */
public final class ProcessInstance {

    public static final String ID = host() + ":" + ProcessHandle.current().pid();

    private ProcessInstance() {
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "localhost";
        }
    }
}
