package dev.kiln.platform.vmm;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.OptionalInt;
import java.util.Properties;

/**
 * The files the VMM keeps in a guest's run directory, and the only code that knows their names.
 * QEMU is started with the run directory as its working directory and relative paths, which
 * keeps its unix sockets short and keeps host paths out of the guest (the multiboot loader
 * passes the -kernel path to the guest as argv[0]).
 */
record RunDir(Path dir) {
    static final String KERNEL = "kernel";
    static final String INITRD = "initrd";
    static final String QMP = "qmp.sock";
    static final String CONSOLE = "console.sock";
    static final String PIDFILE = "qemu.pid";
    static final String QEMU_LOG = "qemu.log";
    static final String STATE = "vm.properties";
    static final String EXIT_STATUS = "exit-status";
    static final String STOP_REQUEST = "stop-request";

    /** sun_path holds 108 bytes with its NUL. */
    static final int MAX_SOCKET_PATH = 107;

    Path qmp() { return dir.resolve(QMP); }
    Path console() { return dir.resolve(CONSOLE); }
    Path pidfile() { return dir.resolve(PIDFILE); }
    Path qemuLog() { return dir.resolve(QEMU_LOG); }
    Path consoleLog() { return dir.resolve(ConsoleLog.FILE_NAME); }

    /** Removes what a previous launch left that would confuse this one; the console log stays. */
    void clearForLaunch() throws IOException {
        for (String f : List.of(KERNEL, INITRD, QMP, CONSOLE, PIDFILE, QEMU_LOG, STATE, EXIT_STATUS, STOP_REQUEST)) {
            Files.deleteIfExists(dir.resolve(f));
        }
    }

    /** The links QEMU was given for -kernel and -initrd, once QEMU has read them or failed. */
    void removeBootLinks() {
        try {
            Files.deleteIfExists(dir.resolve(KERNEL));
            Files.deleteIfExists(dir.resolve(INITRD));
        } catch (IOException e) {
            // a link that stays is untidy, not wrong: the next launch replaces it
        }
    }

    /** What the VMM records about a launch, to find the process again after a restart. */
    record State(String name, long qemuPid, long qemuStart, long supervisorPid, long supervisorStart, Accel accel,
                 String started) {}

    void writeState(State s) throws IOException {
        Properties p = new Properties();
        p.setProperty("name", s.name());
        p.setProperty("qemu.pid", Long.toString(s.qemuPid()));
        p.setProperty("qemu.start", Long.toString(s.qemuStart()));
        p.setProperty("supervisor.pid", Long.toString(s.supervisorPid()));
        p.setProperty("supervisor.start", Long.toString(s.supervisorStart()));
        p.setProperty("accel", s.accel().name());
        p.setProperty("started", s.started());
        Path tmp = dir.resolve(STATE + ".tmp");
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            p.store(w, "kiln VMM state; read back by adopt after a platform restart");
        }
        Files.move(tmp, dir.resolve(STATE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    State readState() throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(dir.resolve(STATE), StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (NoSuchFileException e) {
            throw new VmmException(dir + ": not a kiln run directory (no " + STATE + ")");
        }
        try {
            return new State(p.getProperty("name"), Long.parseLong(p.getProperty("qemu.pid")),
                    Long.parseLong(p.getProperty("qemu.start")), Long.parseLong(p.getProperty("supervisor.pid")),
                    Long.parseLong(p.getProperty("supervisor.start")), Accel.valueOf(p.getProperty("accel")),
                    p.getProperty("started"));
        } catch (RuntimeException e) {
            throw new VmmException(dir.resolve(STATE) + ": unreadable (" + e + ")", e);
        }
    }

    /** QEMU's exit status as its supervisor wrote it; a line without its newline is not finished. */
    OptionalInt exitStatus() {
        try {
            String s = Files.readString(dir.resolve(EXIT_STATUS), StandardCharsets.US_ASCII);
            if (!s.endsWith("\n")) return OptionalInt.empty();
            return OptionalInt.of(Integer.parseInt(s.strip()));
        } catch (IOException | NumberFormatException e) {
            return OptionalInt.empty();
        }
    }

    /** The steps of stopping, in the order they escalate. */
    enum StopStep { POWERDOWN, QUIT, KILL }

    /** Records a stop step before it is taken, so a restarted platform can tell a stop from a crash. */
    void recordStop(StopStep step) throws IOException {
        Files.writeString(dir.resolve(STOP_REQUEST), step.name() + "\n", StandardCharsets.US_ASCII,
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    }

    /** The furthest stop step recorded, or null. */
    StopStep stopStep() {
        try {
            StopStep last = null;
            for (String line : Files.readAllLines(dir.resolve(STOP_REQUEST), StandardCharsets.US_ASCII)) {
                try {
                    StopStep s = StopStep.valueOf(line.strip());
                    if (last == null || s.compareTo(last) > 0) last = s;
                } catch (IllegalArgumentException e) {
                    // a torn line from a crash mid-write: the steps before it still count
                }
            }
            return last;
        } catch (IOException e) {
            return null;
        }
    }
}
