package dev.kiln.platform.instance;

/**
 * The API's stop-reason bitmask, as Unikraft Cloud reports it: which parts took part in
 * stopping an instance. A stop a user asked for is {@code 15} (user, platform, app, kernel); a
 * guest that powered off or exited by itself is {@code 3} (app, kernel); one killed by the
 * platform (a crash, a lost QEMU) {@code 4} plus whatever applies.
 */
public final class StopReason {
    private StopReason() {}

    public static final int KERNEL = 1, APP = 2, PLATFORM = 4, USER = 8, FORCE = 16, SCALE_TO_ZERO = 32;

    public static final int USER_STOP = USER | PLATFORM | APP | KERNEL;
    public static final int GUEST_EXIT = APP | KERNEL;
    public static final int PLATFORM_LOST = PLATFORM;
}
