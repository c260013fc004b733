package dev.kiln.platform.vmm;

import java.io.IOException;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import tools.jackson.databind.JsonNode;

/**
 * One QEMU process and what the VMM holds for it while attached: the QMP connection, the
 * console connection and its pump into the ring log. Each has one virtual thread, which ends
 * when QEMU exits or the VMM detaches; no descriptor stays open past either.
 *
 * <p>QEMU runs under a supervisor, {@code sh -c '"$@"; echo $? > exit-status'} in a session of
 * its own ({@code setsid}): the status reaches the run directory even while no platform runs,
 * and a Ctrl-C aimed at the platform does not reach the guests it means to re-adopt.
 */
final class QemuVm implements VmHandle {
    private static final String SUPERVISOR = "\"$@\"; s=$?; printf '%s\\n' \"$s\" > " + RunDir.EXIT_STATUS
            + "; exit \"$s\"";
    private static final Path SETSID = Path.of("/usr/bin/setsid");

    private enum State { RUNNING, DETACHED, EXITED }

    private final QemuVmm vmm;
    private final RunDir dir;
    private final String name;
    private final Accel accel;
    private final Process supervisor;
    private final long qemuPid;
    private final long qemuStart;
    private final long supervisorPid;
    private final long supervisorStart;
    private final ConsoleLog console;
    private final CompletableFuture<VmExit> exit = new CompletableFuture<>();
    private final Object lock = new Object();

    private State state = State.RUNNING;
    private boolean stopping;
    private Qmp qmp;
    private SocketChannel consoleChannel;
    private Thread pump;
    private volatile String shutdownReason;

    private QemuVm(QemuVmm vmm, RunDir dir, String name, Accel accel, Process supervisor, long qemuPid, long qemuStart,
                   long supervisorPid, long supervisorStart) {
        this.vmm = vmm;
        this.dir = dir;
        this.name = name;
        this.accel = accel;
        this.supervisor = supervisor;
        this.qemuPid = qemuPid;
        this.qemuStart = qemuStart;
        this.supervisorPid = supervisorPid;
        this.supervisorStart = supervisorStart;
        this.console = new ConsoleLog(dir.consoleLog());
    }

    // ---- launch ------------------------------------------------------------------------------

    static QemuVm launch(QemuVmm vmm, LaunchSpec spec, Accel accel) throws IOException {
        QemuVmm.Options o = vmm.options();
        String name = spec.name();
        RunDir dir = new RunDir(spec.runDir());
        checkFiles(spec);
        Files.createDirectories(spec.runDir());
        for (Path sock : List.of(dir.qmp(), dir.console())) {
            if (sock.toString().getBytes(StandardCharsets.UTF_8).length > RunDir.MAX_SOCKET_PATH) {
                throw new VmmException(name + ": run directory " + spec.runDir() + " is too long for the unix socket "
                        + sock.getFileName() + " (a socket path holds at most " + RunDir.MAX_SOCKET_PATH + " bytes)");
            }
        }
        refuseIfRunning(dir, name);
        dir.clearForLaunch();
        Files.createSymbolicLink(dir.dir().resolve(RunDir.KERNEL), spec.kernel().toAbsolutePath());
        if (spec.initrd() != null) Files.createSymbolicLink(dir.dir().resolve(RunDir.INITRD), spec.initrd().toAbsolutePath());

        List<String> cmd = new ArrayList<>();
        if (Files.isExecutable(SETSID)) cmd.add(SETSID.toString());
        cmd.addAll(List.of("/bin/sh", "-c", SUPERVISOR, name + "-supervisor"));
        cmd.addAll(QemuArgs.build(o.qemu().toString(), spec, accel));
        Process p = new ProcessBuilder(cmd)
                .directory(spec.runDir().toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(dir.qemuLog().toFile())
                .start();
        QemuVm vm = null;
        try {
            long deadline = System.nanoTime() + o.startTimeout().toNanos();
            long pid = awaitPid(dir, p, name, deadline);
            OptionalLong start = ProcInfo.startTime(pid);
            OptionalLong supStart = ProcInfo.startTime(p.pid());
            if (start.isEmpty() || supStart.isEmpty() || !ProcInfo.isQemu(pid, start.getAsLong(), name)) {
                throw failure(dir, name, "QEMU (pid " + pid + ") ended during start-up");
            }
            vm = new QemuVm(vmm, dir, name, accel, p, pid, start.getAsLong(), p.pid(), supStart.getAsLong());
            dir.writeState(new RunDir.State(name, pid, start.getAsLong(), p.pid(), supStart.getAsLong(), accel,
                    Instant.now().toString()));
            vm.attach(deadline, p);
            vm.qmp.execute("cont").get(remaining(deadline), TimeUnit.NANOSECONDS);
            // QEMU read the kernel and initrd while it set the machine up, before QMP answered, and
            // -no-reboot means it never reads them again; links left behind would only dangle
            // once the image is removed.
            dir.removeBootLinks();
            p.onExit().thenRun(vm::supervisorExited);
            return vm;
        } catch (IOException | RuntimeException | ExecutionException | TimeoutException | InterruptedException e) {
            // QEMU that refuses its options exits at once; give its supervisor a moment to follow,
            // so that the error quotes QEMU rather than the broken socket it left behind.
            OptionalInt died = exited(p, 300);
            abandon(p, vm);
            dir.removeBootLinks();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException(name + ": interrupted during start-up");
            }
            if (died.isPresent()) throw failure(dir, name, "QEMU ended during start-up with status " + died.getAsInt());
            if (e instanceof TimeoutException) {
                throw failure(dir, name, "QEMU did not start within " + o.startTimeout().toMillis() + " ms");
            }
            if (e instanceof ExecutionException x) {
                throw failure(dir, name, "QEMU did not run the guest (" + x.getCause().getMessage() + ")");
            }
            if (e instanceof IOException io) throw io;
            throw (RuntimeException) e;
        }
    }

    private static OptionalInt exited(Process p, long millis) {
        try {
            return p.waitFor(millis, TimeUnit.MILLISECONDS) ? OptionalInt.of(p.exitValue()) : OptionalInt.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return p.isAlive() ? OptionalInt.empty() : OptionalInt.of(p.exitValue());
        }
    }

    /** A second launch in a run directory would orphan the guest still running there. */
    private static void refuseIfRunning(RunDir dir, String name) throws IOException {
        if (!Files.exists(dir.dir().resolve(RunDir.STATE))) return;
        RunDir.State old;
        try {
            old = dir.readState();
        } catch (VmmException unreadable) {
            return;
        }
        if (ProcInfo.isQemu(old.qemuPid(), old.qemuStart(), old.name())) {
            throw new VmmException(name + ": " + old.name() + " still runs in " + dir.dir() + " (QEMU pid "
                    + old.qemuPid() + "); stop or adopt it first");
        }
    }

    private static void checkFiles(LaunchSpec spec) {
        String name = spec.name();
        requireFile(spec.kernel(), name + ": kernel");
        if (spec.initrd() != null) requireFile(spec.initrd(), name + ": initrd");
        for (int i = 0; i < spec.disks().size(); i++) requireFile(spec.disks().get(i).image(), name + ": disks[" + i + "]");
        for (int i = 0; i < spec.shares().size(); i++) {
            Path d = spec.shares().get(i).hostDir();
            if (!Files.isDirectory(d)) throw new VmmException(name + ": shares[" + i + "]: " + d + " is not a directory");
        }
    }

    private static void requireFile(Path p, String what) {
        if (!Files.isRegularFile(p) || !Files.isReadable(p)) throw new VmmException(what + " " + p + " is not a readable file");
    }

    /** QEMU writes its pidfile early in start-up; until then (or until it dies) we wait. */
    private static long awaitPid(RunDir dir, Process p, String name, long deadline)
            throws IOException, InterruptedException, TimeoutException {
        while (true) {
            try {
                String s = Files.readString(dir.pidfile(), StandardCharsets.US_ASCII).strip();
                if (!s.isEmpty()) return Long.parseLong(s);
            } catch (java.nio.file.NoSuchFileException | NumberFormatException e) {
                // not written yet
            }
            if (p.waitFor(5, TimeUnit.MILLISECONDS)) {
                throw failure(dir, name, "QEMU ended during start-up with status " + p.exitValue());
            }
            if (System.nanoTime() > deadline) throw new TimeoutException();
        }
    }

    private static long remaining(long deadline) {
        return Math.max(1, deadline - System.nanoTime());
    }

    /** The error a caller shows, with QEMU's own last words from its log. */
    private static VmmException failure(RunDir dir, String name, String what) {
        String log = lastLines(dir.qemuLog(), 5);
        return new VmmException(name + ": " + what + (log.isEmpty() ? "" : "; QEMU said: " + log));
    }

    static String lastLines(Path file, int n) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8).stream()
                    .filter(l -> !l.isBlank()).toList();
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - n), lines.size())).strip();
        } catch (IOException e) {
            return "";
        }
    }

    /** Undoes a launch that failed half way: nothing may keep running or stay open. */
    private static void abandon(Process p, QemuVm vm) {
        if (vm != null) {
            synchronized (vm.lock) {
                vm.state = State.EXITED;
            }
            vm.release();
        }
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- adopt -------------------------------------------------------------------------------

    static Adoption adopt(QemuVmm vmm, Path runDir) throws IOException {
        RunDir dir = new RunDir(runDir);
        RunDir.State s = dir.readState();
        if (ProcInfo.isQemu(s.qemuPid(), s.qemuStart(), s.name())) {
            QemuVm vm = new QemuVm(vmm, dir, s.name(), s.accel(), null, s.qemuPid(), s.qemuStart(), s.supervisorPid(),
                    s.supervisorStart());
            try {
                vm.attach(System.nanoTime() + vmm.options().startTimeout().toNanos(), null);
                return new Adoption.Running(vm);
            } catch (IOException | RuntimeException e) {
                synchronized (vm.lock) {
                    vm.state = State.EXITED;
                }
                vm.release();
                if (ProcInfo.alive(s.qemuPid(), s.qemuStart())) {
                    throw e instanceof VmmException v ? v
                            : new VmmException(s.name() + ": QEMU runs but could not be re-attached: " + e, e);
                }
            }
        }
        OptionalInt status = awaitStatus(dir, s.supervisorPid(), s.supervisorStart());
        return new Adoption.Exited(decode(status, dir.stopStep(), null, true, lastLines(dir.qemuLog(), 1)));
    }

    /** The supervisor writes the status right after QEMU ends; give it a moment if it still runs. */
    private static OptionalInt awaitStatus(RunDir dir, long supervisorPid, long supervisorStart) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (true) {
            OptionalInt s = dir.exitStatus();
            if (s.isPresent() || !ProcInfo.alive(supervisorPid, supervisorStart) || System.nanoTime() > deadline) {
                return s.isPresent() ? s : dir.exitStatus();
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return dir.exitStatus();
            }
        }
    }

    // ---- attach / detach ---------------------------------------------------------------------

    /**
     * Connects QMP and the console. QEMU listens on both from early in its start-up; until it
     * does, connecting fails and is retried. {@code supervisor} is watched for an early death.
     */
    private void attach(long deadline, Process supervisorOrNull) throws IOException {
        ConsoleRing ring = ConsoleRing.open(dir.consoleLog(), vmm.options().consoleCapacity());
        try {
            Qmp q = null;
            while (q == null) {
                try {
                    q = Qmp.connect(dir.qmp(), name, Duration.ofNanos(remaining(deadline)), new Listener());
                } catch (SocketException e) {
                    if (supervisorOrNull != null && !supervisorOrNull.isAlive()) throw e;
                    if (supervisorOrNull == null && !ProcInfo.alive(qemuPid, qemuStart)) throw e;
                    if (System.nanoTime() > deadline) throw new VmmException(name + ": QMP socket not ready in time", e);
                    sleep(5);
                }
            }
            synchronized (lock) {
                qmp = q;
            }
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                ch.connect(UnixDomainSocketAddress.of(dir.console()));
            } catch (IOException e) {
                ch.close();
                throw e;
            }
            synchronized (lock) {
                consoleChannel = ch;
                pump = Thread.ofVirtual().name(name + "-console").start(() -> pump(ch, ring));
            }
        } catch (IOException | RuntimeException e) {
            boolean pumping;
            synchronized (lock) {
                pumping = pump != null;
            }
            if (!pumping) ring.close();
            throw e;
        }
    }

    private static void sleep(long ms) throws IOException {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted");
        }
    }

    /** Copies the console into the ring until QEMU closes it or we do; then closes both. */
    private static void pump(SocketChannel ch, ConsoleRing ring) {
        ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
        try (ch; ring) {
            while (ch.read(buf) >= 0) {
                buf.flip();
                ring.append(buf);
                buf.clear();
            }
        } catch (IOException e) {
            // the socket was closed under us (detach), or QEMU vanished: what was read is kept
        }
    }

    /**
     * Lets go of QEMU without stopping it: the platform is going down and a later one will
     * adopt the guest. The handle's {@link #exit()} fails, since this VMM will not see the end.
     */
    void detach() {
        synchronized (lock) {
            if (state != State.RUNNING) return;
            state = State.DETACHED;
        }
        release();
        exit.completeExceptionally(new VmmException(name + ": detached; adopt " + dir.dir() + " to follow it again"));
    }

    /**
     * Closes QMP and the console and waits for their threads. On exit the console is left to
     * drain first: QEMU closed it, and the pump ends once it has read the last bytes.
     */
    private void release() {
        Qmp q;
        SocketChannel ch;
        Thread t;
        boolean detaching;
        synchronized (lock) {
            q = qmp;
            ch = consoleChannel;
            t = pump;
            detaching = state == State.DETACHED;
        }
        if (q != null) q.close();
        try {
            if (ch != null && (detaching || t == null)) ch.close();
            if (t != null && !t.join(Duration.ofSeconds(5))) {
                ch.close();
                t.join();
            }
        } catch (IOException e) {
            // closing a socket has no failure worth reporting
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- exit --------------------------------------------------------------------------------

    /** The supervisor of a guest we launched ended: its status is QEMU's. */
    private void supervisorExited() {
        finish(OptionalInt.of(supervisor.exitValue()));
    }

    /** QMP closed on a guest we adopted: QEMU is ending; wait until it is gone, then read the status. */
    private void qmpClosed() {
        if (supervisor != null) return;
        long delay = 5;
        while (ProcInfo.alive(qemuPid, qemuStart)) {
            synchronized (lock) {
                if (state != State.RUNNING) return;
            }
            try {
                Thread.sleep(delay);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            delay = Math.min(1000, delay * 2);
        }
        finish(awaitStatus(dir, supervisorPid, supervisorStart));
    }

    private void finish(OptionalInt status) {
        synchronized (lock) {
            if (state != State.RUNNING) return;
            state = State.EXITED;
        }
        release();
        // Completed before it is forgotten: QemuVmm adds a new guest and then checks for its
        // exit, so in either order of the two threads it ends up not holding a finished guest.
        exit.complete(decode(status, dir.stopStep(), shutdownReason, false, lastLines(dir.qemuLog(), 1)));
        vmm.forget(this);
    }

    /**
     * How QEMU's status reads. An odd status is isa-debug-exit's {@code (code << 1) | 1}; the JDK
     * and the supervisor's shell report a death by signal N as 128 + N, so 137 is also SIGKILL,
     * which is taken to be ours only when we sent one. An unasked SIGKILL (the OOM killer) or a
     * crash on SIGSEGV (139) would thus read as guest codes 68 and 69: neither the JDK nor a
     * POSIX shell tells the two apart. Status 0 is told apart by QMP's SHUTDOWN reason when one
     * was seen, else by whether a stop was asked for.
     */
    static VmExit decode(OptionalInt status, RunDir.StopStep step, String shutdownReason, boolean detached,
                         String qemuSaid) {
        String down = detached ? "while the platform was down, " : "";
        if (status.isEmpty()) {
            return new VmExit(VmExit.Cause.UNKNOWN, OptionalInt.empty(), status, detached,
                    "stopped while the platform was down; no exit status was recorded");
        }
        int s = status.getAsInt();
        if (s == 137 && step == RunDir.StopStep.KILL) {
            return new VmExit(VmExit.Cause.KILLED, OptionalInt.empty(), status, detached, down + "killed with SIGKILL");
        }
        if (s == 0) {
            String r = shutdownReason == null ? "" : shutdownReason;
            VmExit.Cause cause;
            String why;
            if (r.equals("host-qmp-quit")) {
                cause = VmExit.Cause.STOPPED;
                why = "QEMU quit when told to";
            } else if (r.equals("host-signal")) {
                cause = VmExit.Cause.HOST_SIGNAL;
                why = "QEMU ended on a signal from outside kiln";
            } else if (r.equals("guest-reset") || r.equals("host-qmp-system-reset") || r.equals("guest-panic")) {
                cause = VmExit.Cause.GUEST_RESET;
                why = "the guest reset (" + r + ")";
            } else if (step != null) {
                cause = VmExit.Cause.STOPPED;
                why = step == RunDir.StopStep.POWERDOWN ? "the guest powered off after the ACPI power button"
                        : "QEMU quit when told to";
            } else {
                cause = VmExit.Cause.GUEST_SHUTDOWN;
                why = "the guest powered off";
            }
            return new VmExit(cause, OptionalInt.empty(), status, detached, down + why);
        }
        if ((s & 1) == 1) {
            int code = s >> 1;
            return new VmExit(VmExit.Cause.GUEST_EXIT, OptionalInt.of(code), status, detached,
                    down + "the guest exited with code " + code);
        }
        return new VmExit(VmExit.Cause.QEMU_FAILED, OptionalInt.empty(), status, detached,
                down + "QEMU failed with status " + s + (qemuSaid.isEmpty() ? "" : ": " + qemuSaid));
    }

    // ---- control -----------------------------------------------------------------------------

    @Override
    public CompletableFuture<VmExit> stop(Duration grace) {
        synchronized (lock) {
            if (state != State.RUNNING || stopping) return exit;
            stopping = true;
        }
        Thread.ofVirtual().name(name + "-stop").start(() -> runStop(grace));
        return exit;
    }

    private void runStop(Duration grace) {
        try {
            dir.recordStop(RunDir.StopStep.POWERDOWN);
            command("system_powerdown");
            if (ended(grace)) return;
            dir.recordStop(RunDir.StopStep.QUIT);
            command("quit");
            if (ended(vmm.options().quitTimeout())) return;
        } catch (IOException e) {
            // could not record or send: escalate to the kill, which needs neither QMP nor the disk
        }
        kill();
    }

    @Override
    public void pause() {
        qmpNow("stop");
    }

    @Override
    public void resume() {
        qmpNow("cont");
    }

    /** A QMP command whose answer is awaited (a few seconds at most), failing with the VMM's error. */
    private void qmpNow(String c) {
        Qmp q;
        synchronized (lock) {
            q = qmp;
        }
        if (q == null) throw new VmmException(name() + ": no QMP connection (the guest has ended)");
        try {
            q.execute(c).get(5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new VmmException(name() + ": QMP " + c + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmmException(name() + ": interrupted during QMP " + c);
        }
    }

    private void command(String c) {
        Qmp q;
        synchronized (lock) {
            q = qmp;
        }
        if (q != null) q.execute(c);
    }

    /** Waits for the exit; true if the guest ended or this VMM detached meanwhile. */
    private boolean ended(Duration d) {
        try {
            exit.get(d.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    @Override
    public CompletableFuture<VmExit> kill() {
        synchronized (lock) {
            if (state != State.RUNNING) return exit;
        }
        try {
            dir.recordStop(RunDir.StopStep.KILL);
        } catch (IOException e) {
            // the kill matters more than its record; the exit then reads as a guest exit 68
        }
        // The start time check keeps a reused pid from being killed in QEMU's place.
        if (ProcInfo.alive(qemuPid, qemuStart)) ProcessHandle.of(qemuPid).ifPresent(ProcessHandle::destroyForcibly);
        return exit;
    }

    // ---- accessors ---------------------------------------------------------------------------

    @Override
    public String name() {
        return name;
    }

    @Override
    public long pid() {
        return qemuPid;
    }

    @Override
    public Path runDir() {
        return dir.dir();
    }

    @Override
    public Accel accel() {
        return accel;
    }

    @Override
    public ConsoleLog console() {
        return console;
    }

    @Override
    public CompletableFuture<VmExit> exit() {
        return exit;
    }

    @Override
    public String toString() {
        return name + " (pid " + qemuPid + ", " + accel + ")";
    }

    private final class Listener implements Qmp.Listener {
        @Override
        public void event(String event, JsonNode data) {
            if (event.equals("SHUTDOWN")) shutdownReason = data.path("reason").asString("");
        }

        @Override
        public void closed() {
            qmpClosed();
        }
    }
}
