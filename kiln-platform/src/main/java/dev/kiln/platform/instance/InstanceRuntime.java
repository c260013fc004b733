package dev.kiln.platform.instance;

import dev.kiln.platform.guest.Guest;
import dev.kiln.platform.guest.GuestArgsException;
import dev.kiln.platform.image.ImageCatalog;
import dev.kiln.platform.vmm.Adoption;
import dev.kiln.platform.vmm.ConsoleLog;
import dev.kiln.platform.vmm.LaunchSpec;
import dev.kiln.platform.vmm.VmExit;
import dev.kiln.platform.vmm.VmHandle;
import dev.kiln.platform.vmm.Vmm;
import dev.kiln.platform.guest.Mount;
import dev.kiln.platform.volume.Volume;
import dev.kiln.oci.Directories;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Instances that run: one QEMU per running instance, started, stopped and followed through its
 * exit, with the restart policy, delete-on-stop, waiting for a state, and the console log. The
 * store stays the truth; this class keeps only the handles of the guests it runs, and at start
 * it reconciles the store with the guests it finds ({@link #reconcile}).
 *
 * <p>Each instance's changes are serialised on a lock of its own, so a stop that races a start,
 * or an exit that races a delete, sees one state after the other.
 */
public final class InstanceRuntime implements AutoCloseable {
    /** How long a stop waits for the guest before QEMU is told to quit, then killed. */
    static final Duration STOP_GRACE = Duration.ofSeconds(2);
    /** Restart back-off, as Unikraft Cloud documents it: at once, then 5 s, doubling to 5 minutes; reset after 10 s up. */
    static final Duration[] BACKOFF = {Duration.ZERO, Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(20),
            Duration.ofSeconds(40), Duration.ofSeconds(80), Duration.ofSeconds(160), Duration.ofMinutes(5)};
    static final Duration HEALTHY = Duration.ofSeconds(10);

    private final InstanceService service;
    private final Vmm vmm;
    private final Path runRoot;
    private final RootfsComposer composer;
    private final Map<UUID, VmHandle> running = new ConcurrentHashMap<>();
    /** Instances a stop was asked for: their exit is the user's, not the guest's. */
    private final Map<UUID, Boolean> stopping = new ConcurrentHashMap<>();
    private final Map<UUID, Object> locks = new ConcurrentHashMap<>();
    /** Back-off step per instance for the restart policy. */
    private final Map<UUID, Integer> restarts = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "kiln-restarts");
        t.setDaemon(true);
        return t;
    });
    private final Object changed = new Object();
    private volatile boolean closed;

    public InstanceRuntime(InstanceService service, Vmm vmm, Path runRoot, RootfsComposer composer) {
        this.service = service;
        this.vmm = vmm;
        this.runRoot = runRoot;
        this.composer = composer;
    }

    private Object lock(UUID u) {
        return locks.computeIfAbsent(u, k -> new Object());
    }

    /**
     * The instance's run directory: the first 12 hex digits of its uuid, since QEMU's socket paths
     * inside it must fit 107 bytes even under a deep data directory.
     */
    private Path runDir(UUID u) {
        return runRoot.resolve(u.toString().replace("-", "").substring(0, 12));
    }

    /**
     * Starts a stopped instance (a running or starting one is left as it is): its image's kernel
     * and initrd, the command line its guest kind builds from args and env (refused with 400 when
     * it cannot be expressed), one QEMU. Returns the instance as it is then.
     */
    public Instance start(Instance given, boolean restart) throws IOException {
        synchronized (lock(given.uuid())) {
            Instance i = service.byUuid(given.uuid()).orElseThrow(() -> new InstanceException(404, "uuid", "No instance with UUID '" + given.uuid() + "'"));
            if (i.state() == InstanceState.STANDBY && running.containsKey(i.uuid())) {
                running.get(i.uuid()).resume();
                Instance up = service.save(i.withState(InstanceState.RUNNING));
                signal();
                return up;
            }
            if (i.state().live()) return i;
            ImageCatalog.Runnable image = service.images().resolve(i.image());
            List<Volume> volumes = service.volumes().detachPending(i.uuid());
            Path dir = runDir(i.uuid());
            LaunchSpec spec = launch(i, image, volumes, dir);
            Instance starting = service.save(i.started(service.now(), restart));
            long t0 = System.nanoTime();
            VmHandle vm;
            try {
                vm = vmm.start(spec);
            } catch (IOException | RuntimeException e) {
                service.save(starting.stopped(service.now(), StopReason.PLATFORM_LOST, null, "could not start: " + e.getMessage()));
                signal();
                throw new InstanceException(500, null, "instance '" + i.name() + "' could not start: " + e.getMessage());
            }
            running.put(i.uuid(), vm);
            Instance up = service.save(starting.running((System.nanoTime() - t0) / 1000));
            follow(up.uuid(), vm);
            signal();
            return up;
        }
    }

    /**
     * One boot of {@code i}: the image's kernel; its initrd, or that initrd with the ROMs that
     * have an {@code at} mounted over their paths (one archive, composed once per content); every
     * ROM as a read-only disk with serial {@code ukp_rom_<name>}; 9p volumes as shares the guest
     * mounts at their {@code at}, block volumes as read-write disks; the command line the guest
     * kind builds from all that (400 naming the field when it cannot be expressed).
     */
    private LaunchSpec launch(Instance i, ImageCatalog.Runnable image, List<Volume> volumes, Path dir) throws IOException {
        List<LaunchSpec.Disk> disks = new ArrayList<>();
        List<RootfsComposer.Placement> placed = new ArrayList<>();
        for (InstanceRom r : i.roms()) {
            Path rom = service.roms().path(r);
            disks.add(new LaunchSpec.Disk(rom, r.serial()));
            if (r.at() != null) placed.add(new RootfsComposer.Placement(rom, r.digest(), r.at()));
        }
        Path initrd = image.initrd();
        if (!placed.isEmpty()) {
            try {
                initrd = composer.compose(image.initrd(), image.digest().toString(), placed, image.guest());
            } catch (dev.kiln.fs.KilnException e) {
                if (e instanceof InstanceException ie) throw ie;
                throw new InstanceException(400, "roms", "instance '" + i.name() + "': the ROMs cannot be put in place: " + e.getMessage());
            }
        }
        List<Mount> mounts = new ArrayList<>();
        List<LaunchSpec.Share> shares = new ArrayList<>();
        int k = 0;
        for (Volume v : volumes) {
            if (v.state() != dev.kiln.platform.volume.VolumeState.AVAILABLE) {
                throw new InstanceException(409, "volumes", "instance '" + i.name() + "': volume '" + v.name() + "' is " + v.state().wire()
                        + " (an import, export or resize runs); start it when that is done");
            }
            String tag = "kvol" + k++;
            if (v.blockDevice()) {
                disks.add(new LaunchSpec.Disk(service.volumes().backing().disk(v.uuid()), tag, v.readonly()));
                mounts.add(Mount.block(tag, v.at(), v.readonly()));
            } else {
                Path host = v.hostPath() != null ? Path.of(v.hostPath()) : service.volumes().backing().share(v.uuid());
                shares.add(new LaunchSpec.Share(tag, host, v.readonly()));
                mounts.add(new Mount(tag, v.at(), v.readonly()));
            }
        }
        String cmdline;
        try {
            cmdline = Guest.of(image.guest(), initrd != null).commandLine(i.args(), i.env(), mounts);
        } catch (GuestArgsException e) {
            throw new InstanceException(400, e.field(), e.getMessage());
        }
        Directories.deleteTree(dir); // what a previous run left; its console is gone with it, as on Unikraft Cloud
        Files.createDirectories(dir);
        LaunchSpec spec = LaunchSpec.of(i.uuid().toString(), dir, image.kernel(), cmdline).withMemory(i.memoryMb()).withVcpus(i.vcpus())
                .withDisks(disks).withShares(shares)
                .withForwards(i.services().stream().map(s -> new LaunchSpec.PortForward(
                        s.protocol().equals("udp") ? LaunchSpec.Protocol.UDP : LaunchSpec.Protocol.TCP, s.port(), s.destinationPort())).toList());
        return initrd != null ? spec.withInitrd(initrd) : spec;
    }

    /** Waits in the background for the guest to end, then records how. */
    private void follow(UUID uuid, VmHandle vm) {
        vm.exit().whenComplete((exit, failure) -> {
            // A handle that ends without an exit was detached (the platform is shutting down and
            // leaves the guest running): the next start adopts it, nothing is recorded now.
            if (failure != null || exit == null || closed) return;
            try {
                exited(uuid, exit);
            } catch (Exception e) {
                // the next reconcile or request will find the instance as the store has it
            }
        });
    }

    private void exited(UUID uuid, VmExit exit) throws IOException {
        boolean requested;
        Instance after;
        synchronized (lock(uuid)) {
            running.remove(uuid);
            requested = stopping.remove(uuid) != null;
            Optional<Instance> cur = service.byUuid(uuid);
            if (cur.isEmpty()) {
                signal();
                return;
            }
            Instance i = cur.get();
            int reason = requested ? StopReason.USER_STOP | (exit != null && exit.cause() == VmExit.Cause.KILLED ? StopReason.FORCE : 0)
                    : reasonOf(exit);
            Integer code = exit != null && exit.exitCode().isPresent() ? exit.exitCode().getAsInt() : null;
            after = service.save(i.stopped(service.now(), reason, code, exit == null ? "lost" : exit.detail()));
            service.volumes().detachPending(uuid);
            signal();
            if (after.deleteOnStop()) {
                service.delete(after);
                Directories.deleteTree(runDir(uuid));
                signal();
                return;
            }
        }
        if (!requested) restartIfAsked(after, exit);
    }

    /** The API's stop-reason bits for an exit nobody asked for. */
    static int reasonOf(VmExit exit) {
        if (exit == null) return StopReason.PLATFORM_LOST;
        return switch (exit.cause()) {
            case GUEST_EXIT, GUEST_SHUTDOWN -> StopReason.GUEST_EXIT;
            case GUEST_RESET -> StopReason.KERNEL;
            case STOPPED -> StopReason.USER_STOP;
            case KILLED -> StopReason.USER_STOP | StopReason.FORCE;
            case HOST_SIGNAL, QEMU_FAILED, UNKNOWN -> StopReason.PLATFORM_LOST;
        };
    }

    private void restartIfAsked(Instance i, VmExit exit) {
        boolean failed = exit == null || exit.exitCode().isEmpty() || exit.exitCode().getAsInt() != 0;
        boolean again = switch (i.restartPolicy()) {
            case ALWAYS -> true;
            case ON_FAILURE -> failed;
            case NEVER -> false;
        };
        if (!again) return;
        boolean healthy = i.startedAt() != null && i.stoppedAt() != null
                && Duration.between(i.startedAt(), i.stoppedAt()).compareTo(HEALTHY) >= 0;
        int step = healthy ? 0 : restarts.merge(i.uuid(), 1, Integer::sum) - 1;
        if (healthy) restarts.put(i.uuid(), 1);
        Duration delay = BACKOFF[Math.min(step, BACKOFF.length - 1)];
        timers.schedule(() -> {
            try {
                Optional<Instance> cur = service.byUuid(i.uuid());
                if (cur.isPresent() && cur.get().state() == InstanceState.STOPPED && cur.get().version() == i.version()) start(cur.get(), true);
            } catch (Exception e) {
                // the instance stays stopped, with the reason recorded by the failed start
            }
        }, delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Stops a running instance: the guest is asked to power off, then QEMU to quit, then it is
     * killed ({@code force}: killed at once). Returns at once with the instance {@code stopping};
     * its exit is recorded when it comes.
     */
    public Instance stop(Instance given, boolean force) {
        synchronized (lock(given.uuid())) {
            Instance i = service.byUuid(given.uuid()).orElseThrow(() -> new InstanceException(404, "uuid", "No instance with UUID '" + given.uuid() + "'"));
            VmHandle vm = running.get(i.uuid());
            if (vm == null || !i.state().live()) return i;
            stopping.put(i.uuid(), Boolean.TRUE);
            Instance s = i.state() == InstanceState.STOPPING ? i : service.save(i.withState(InstanceState.STOPPING));
            if (force) vm.kill();
            else vm.stop(STOP_GRACE);
            signal();
            return s;
        }
    }

    /**
     * Suspends a running instance: its guest is paused in its QEMU (memory kept, no CPU used) and
     * the instance is {@code standby} until a start resumes it. Anything but a running instance is
     * left as it is.
     */
    public Instance suspend(Instance given) {
        synchronized (lock(given.uuid())) {
            Instance i = service.byUuid(given.uuid()).orElseThrow(() -> new InstanceException(404, "uuid", "No instance with UUID '" + given.uuid() + "'"));
            VmHandle vm = running.get(i.uuid());
            if (vm == null || i.state() != InstanceState.RUNNING) return i;
            vm.pause();
            Instance s = service.save(i.withState(InstanceState.STANDBY));
            signal();
            return s;
        }
    }

    /** Stops (kills) a running instance and removes it with its run directory. */
    public InstanceState delete(Instance given) throws IOException {
        VmHandle vm;
        synchronized (lock(given.uuid())) {
            vm = running.get(given.uuid());
            if (vm != null) stopping.put(given.uuid(), Boolean.TRUE);
        }
        if (vm != null) {
            try {
                vm.kill().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                // the record goes anyway; a QEMU that outlived a kill is reaped by the next reconcile
            }
        }
        synchronized (lock(given.uuid())) {
            Instance i = service.byUuid(given.uuid()).orElse(given);
            service.delete(i);
            running.remove(i.uuid());
            Directories.deleteTree(runDir(i.uuid()));
            locks.remove(i.uuid());
            signal();
            return given.state();
        }
    }

    /**
     * Blocks until the instance is in {@code state} or {@code timeoutMs} passes (-1: forever, 0: no
     * wait); returns the instance as it is then, and whether it reached the state.
     */
    public record Waited(Instance instance, boolean reached) {}

    public Waited await(UUID uuid, InstanceState state, long timeoutMs) throws InterruptedException {
        long deadline = timeoutMs < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutMs * 1_000_000;
        synchronized (changed) {
            while (true) {
                Optional<Instance> cur = service.byUuid(uuid);
                if (cur.isEmpty()) throw new InstanceException(404, "uuid", "No instance with UUID '" + uuid + "'");
                if (cur.get().state() == state) return new Waited(cur.get(), true);
                long left = deadline == Long.MAX_VALUE ? 1000 : (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) return new Waited(cur.get(), false);
                changed.wait(Math.min(left, 1000));
            }
        }
    }

    private void signal() {
        synchronized (changed) {
            changed.notifyAll();
        }
    }

    /** The console of the instance's current (or last) run, from {@code offset} (negative: from the end). */
    public ConsoleLog.Chunk log(Instance i, long offset, int limit) throws IOException {
        Path dir = runDir(i.uuid());
        if (!Files.isDirectory(dir)) return new ConsoleLog.Chunk(new ConsoleLog.Range(0, 0), new ConsoleLog.Range(0, 0), new byte[0]);
        return ConsoleLog.in(dir).read(offset, limit);
    }

    /**
     * Makes the store and the guests agree after a (re)start of the platform: a live instance whose
     * QEMU still runs is followed again; one whose QEMU ended is marked stopped, with the exit
     * recorded in its run directory or "stopped while the platform was down"; nothing else is
     * touched. Returns how many guests were adopted.
     */
    public int reconcile() throws IOException {
        int adopted = 0;
        for (Instance i : service.list(0, 0)) {
            if (!i.state().live()) continue;
            Path dir = runDir(i.uuid());
            Adoption a;
            String why = "stopped while the platform was down";
            try {
                a = Files.isDirectory(dir) ? vmm.adopt(dir) : null;
            } catch (IOException | RuntimeException e) {
                a = null;
                why = "stopped while the platform was down (" + e.getMessage() + ")";
            }
            switch (a) {
                case Adoption.Running r -> {
                    running.put(i.uuid(), r.vm());
                    Instance cur = i.state() == InstanceState.STARTING ? service.save(i.running(0)) : i;
                    if (cur.state() == InstanceState.STOPPING) stopping.put(cur.uuid(), Boolean.TRUE);
                    follow(cur.uuid(), r.vm());
                    adopted++;
                }
                case Adoption.Exited e -> {
                    // Ended while nobody watched: the platform's bit says so, whatever the guest did.
                    VmExit x = e.exit();
                    Integer code = x.exitCode().isPresent() ? x.exitCode().getAsInt() : null;
                    Instance stopped = service.save(i.stopped(service.now(), reasonOf(x) | StopReason.PLATFORM_LOST, code,
                            "stopped while the platform was down: " + x.detail()));
                    if (stopped.deleteOnStop()) {
                        service.delete(stopped);
                        Directories.deleteTree(dir);
                    }
                }
                case null -> service.save(i.stopped(service.now(), StopReason.PLATFORM_LOST, null, why));
            }
        }
        signal();
        return adopted;
    }

    /** Whether a QEMU runs for {@code uuid} (for tests and the CLI). */
    public Optional<VmHandle> vm(UUID uuid) {
        return Optional.ofNullable(running.get(uuid));
    }

    /**
     * Shuts down: with {@code leaveRunning}, guests keep running (the next start adopts them);
     * otherwise each is stopped and its exit recorded before this returns.
     */
    public void close(boolean leaveRunning) {
        timers.shutdownNow();
        if (leaveRunning) closed = true;
        if (!leaveRunning) {
            List<VmHandle> all = new ArrayList<>(running.values());
            for (UUID u : running.keySet()) {
                service.byUuid(u).ifPresent(i -> stop(i, false));
            }
            for (VmHandle vm : all) {
                try {
                    vm.exit().get(STOP_GRACE.toMillis() * 3 + 5000, TimeUnit.MILLISECONDS);
                } catch (Exception e) {
                    vm.kill();
                }
            }
        }
        closed = true;
        vmm.close();
    }

    @Override
    public void close() {
        close(false);
    }


}
