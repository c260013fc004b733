package dev.kiln.platform.vmm;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Guests under QEMU (qemu-system-x86_64), one process per guest: the image's kernel, initrd and
 * command line; KVM when a probe boot shows it works, TCG otherwise; the serial console in a
 * size-capped {@link ConsoleLog}; isa-debug-exit so a guest can report an exit code; stop by
 * ACPI power button, then QMP {@code quit}, then SIGKILL.
 *
 * <p>Each guest's run directory holds what is needed to find it again: {@code vm.properties}
 * (QEMU's pid and start time, its {@code -name kiln-<id>}), the QMP and console sockets, and
 * the exit status its supervisor writes. {@link #close()} detaches without stopping anything;
 * a new {@code QemuVmm} then {@link #adopt}s each run directory.
 */
public final class QemuVmm implements Vmm {
    private static final String QEMU = "qemu-system-x86_64";

    /**
     * @param qemu            the qemu-system-x86_64 binary
     * @param accel           KVM or TCG regardless of the probe, or null to probe
     * @param kvmProbeTimeout how long the probe guest may take under KVM before KVM is judged hung
     * @param startTimeout    from spawning QEMU to the guest running
     * @param quitTimeout     how long QEMU gets to obey {@code quit} before it is killed
     * @param consoleCapacity bytes of console kept per guest (the last ones)
     */
    public record Options(Path qemu, Accel accel, Duration kvmProbeTimeout, Duration startTimeout, Duration quitTimeout,
                          long consoleCapacity) {
        public Options {
            Objects.requireNonNull(qemu, "qemu");
            Objects.requireNonNull(kvmProbeTimeout, "kvmProbeTimeout");
            Objects.requireNonNull(startTimeout, "startTimeout");
            Objects.requireNonNull(quitTimeout, "quitTimeout");
            if (consoleCapacity < 1) throw new IllegalArgumentException("console capacity " + consoleCapacity);
        }

        /** Probe for KVM (3 s), 15 s to start, 5 s to quit, 1 MiB of console. */
        public static Options defaults(Path qemu) {
            return new Options(qemu, null, Duration.ofSeconds(3), Duration.ofSeconds(15), Duration.ofSeconds(5), 1 << 20);
        }

        public Options withAccel(Accel a) {
            return new Options(qemu, a, kvmProbeTimeout, startTimeout, quitTimeout, consoleCapacity);
        }

        public Options withConsoleCapacity(long bytes) {
            return new Options(qemu, accel, kvmProbeTimeout, startTimeout, quitTimeout, bytes);
        }

        public Options withQuitTimeout(Duration d) {
            return new Options(qemu, accel, kvmProbeTimeout, startTimeout, d, consoleCapacity);
        }

        public Options withStartTimeout(Duration d) {
            return new Options(qemu, accel, kvmProbeTimeout, d, quitTimeout, consoleCapacity);
        }
    }

    private final Options options;
    private final Set<QemuVm> attached = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private QemuVmm(Options options) {
        this.options = options;
    }

    /** A VMM with the default options and the QEMU found on the PATH. */
    public static QemuVmm create() {
        return create(Options.defaults(locateQemu()));
    }

    public static QemuVmm create(Options options) {
        if (!Files.isRegularFile(options.qemu()) || !Files.isExecutable(options.qemu())) {
            throw missing(options.qemu().toString());
        }
        return new QemuVmm(options);
    }

    /** {@code qemu-system-x86_64} from the PATH, or a {@link VmmException} saying what to install. */
    public static Path locateQemu() {
        List<String> dirs = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) dirs.addAll(List.of(path.split(File.pathSeparator)));
        dirs.addAll(List.of("/usr/bin", "/usr/local/bin"));
        for (String d : dirs) {
            if (d.isEmpty()) continue;
            Path p = Path.of(d, QEMU);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) return p;
        }
        throw missing(QEMU + " on the PATH");
    }

    private static VmmException missing(String what) {
        return new VmmException(what + " not found: QEMU is needed to run guests; on Debian or Ubuntu:"
                + " apt-get install qemu-system-x86");
    }

    public Options options() {
        return options;
    }

    /** The accelerator guests get, probed on first use (see the class comment of the probe). */
    public Accel.Choice accel() {
        if (options.accel() != null) return new Accel.Choice(options.accel(), options.accel() + ": set in the options");
        return KvmProbe.choose(options.qemu(), options.kvmProbeTimeout());
    }

    @Override
    public VmHandle start(LaunchSpec spec) throws IOException {
        if (closed) throw new IllegalStateException("this VMM is closed");
        QemuVm vm = QemuVm.launch(this, spec, accel().accel());
        attached.add(vm);
        if (vm.exit().isDone()) attached.remove(vm);
        return vm;
    }

    @Override
    public Adoption adopt(Path runDir) throws IOException {
        if (closed) throw new IllegalStateException("this VMM is closed");
        // QEMU serves one QMP client at a time; a second attachment would wait out the timeout.
        for (QemuVm vm : attached) {
            if (vm.runDir().equals(runDir) && !vm.exit().isDone()) return new Adoption.Running(vm);
        }
        Adoption a = QemuVm.adopt(this, runDir);
        if (a instanceof Adoption.Running(VmHandle vm)) {
            QemuVm q = (QemuVm) vm;
            attached.add(q);
            if (q.exit().isDone()) attached.remove(q);
        }
        return a;
    }

    /** Detaches from every guest this VMM started or adopted; the guests keep running. */
    @Override
    public void close() {
        closed = true;
        for (QemuVm vm : List.copyOf(attached)) {
            vm.detach();
            attached.remove(vm);
        }
    }

    void forget(QemuVm vm) {
        attached.remove(vm);
    }
}
