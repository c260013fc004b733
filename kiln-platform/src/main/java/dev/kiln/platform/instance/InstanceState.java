package dev.kiln.platform.instance;

import java.util.Locale;

/**
 * An instance's state, as the API names it. The life cycle is
 * {@code stopped → starting → running → stopping → stopped}; {@code draining} is a running
 * instance asked to stop that lets its connections finish (kiln keeps the name for clients that
 * know it), and {@code standby} a suspended one: its QEMU holds it paused, and a start resumes it.
 */
public enum InstanceState {
    STOPPED, STARTING, RUNNING, DRAINING, STOPPING, STANDBY;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static InstanceState parse(String s, String field) {
        for (InstanceState st : values()) if (st.wire().equals(s)) return st;
        throw new InstanceException(400, field, "unknown state '" + s + "' (stopped, starting, running, draining, stopping, standby)");
    }

    /** Whether a QEMU process belongs to this state (a suspended guest's is paused). */
    public boolean live() {
        return this != STOPPED;
    }
}
