package dev.kiln.platform.vmm;

import static dev.kiln.platform.vmm.TestGuests.awaitConsole;
import static dev.kiln.platform.vmm.TestGuests.probe;
import static dev.kiln.platform.vmm.TestGuests.vmm;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server lives for weeks: fifty guests started and ended (stopped, killed, or exiting on
 * their own) must leave no descriptor open and none of the VMM's threads running.
 */
class QemuVmmLeakTest {
    @TempDir
    Path work;

    @Test
    void fiftyGuestsLeaveNoDescriptorOrThreadBehind() throws Exception {
        QemuVmm vmm = vmm();
        cycle(vmm, 0); // loads classes and lets the JDK create its shared pools before counting
        long fds = count(Path.of("/proc/self/fd"));
        long tasks = count(Path.of("/proc/self/task"));
        List<String> own = ownPlatformThreads();

        VmHandle running = vmm.start(probe(work, List.of("sleep=-1"), Map.of()));
        awaitConsole(running, c -> c.contains("PROBE-START"), Duration.ofSeconds(30));
        assertThat(kilnThreads()).as("the dump sees the VMM's virtual threads while a guest runs")
                .contains(running.name() + "-qmp", running.name() + "-console");
        running.stop(Duration.ZERO).get(30, TimeUnit.SECONDS);

        for (int i = 1; i <= 50; i++) cycle(vmm, i);

        assertThat(kilnThreads()).isEmpty();
        long fdsAfter = settle(Path.of("/proc/self/fd"), fds), tasksAfter = settle(Path.of("/proc/self/task"), tasks);
        System.out.printf("QemuVmmLeakTest: descriptors %d before, %d after; OS threads %d before, %d after%n",
                fds, fdsAfter, tasks, tasksAfter);
        // Not equal: the JVM itself may hold a descriptor for a moment (one was open during the
        // first count of one run); a leak would show as fifty or more.
        assertThat(fdsAfter).as("open descriptors").isLessThanOrEqualTo(fds);
        assertThat(ownPlatformThreads()).as("platform threads other than the JDK's shared pools")
                .containsExactlyInAnyOrderElementsOf(own);
        // The JDK's process reapers (one per live child, idle ones kept a minute) and the carriers
        // of virtual threads come and go on their own schedule, so the OS count may differ by a
        // few; a leak would grow with the fifty guests.
        assertThat(tasksAfter).as("OS threads").isLessThanOrEqualTo(tasks + 6);
    }

    /** One guest, ended one of three ways in turn. */
    private void cycle(QemuVmm vmm, int i) throws Exception {
        switch (i % 3) {
            case 0 -> {
                VmHandle vm = vmm.start(probe(work, List.of("sleep=-1"), Map.of()));
                assertThat(vm.stop(Duration.ZERO).get(30, TimeUnit.SECONDS).cause()).isEqualTo(VmExit.Cause.STOPPED);
            }
            case 1 -> {
                VmHandle vm = vmm.start(probe(work, List.of("sleep=-1"), Map.of()));
                assertThat(vm.kill().get(30, TimeUnit.SECONDS).cause()).isEqualTo(VmExit.Cause.KILLED);
            }
            default -> {
                VmHandle vm = vmm.start(probe(work, List.of("exit=5"), Map.of()));
                assertThat(vm.exit().get(30, TimeUnit.SECONDS).exitCode()).hasValue(5);
            }
        }
    }

    private static long count(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }

    /** Polls until the count drops to {@code target} (a closing descriptor may lag), for up to 10 s. */
    private static long settle(Path dir, long target) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        long n;
        while ((n = count(dir)) > target && System.nanoTime() < deadline) Thread.sleep(50);
        return n;
    }

    /** Platform threads but the JDK's shared process reapers, virtual-thread carriers and common pool. */
    private static List<String> ownPlatformThreads() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(n -> !n.startsWith("process reaper") && !n.startsWith("ForkJoinPool-") && !n.startsWith("ForkJoinPool.commonPool"))
                .sorted().toList();
    }

    /** Names of live threads, virtual ones included, that the VMM created ("kiln-..."). */
    private static List<String> kilnThreads() throws IOException {
        Path dump = Files.createTempFile("kiln-threads-", ".json");
        try {
            Files.delete(dump);
            ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                    .dumpThreads(dump.toString(), HotSpotDiagnosticMXBean.ThreadDumpFormat.JSON);
            Matcher m = Pattern.compile("\"name\": \"(kiln-[^\"]*)\"").matcher(Files.readString(dump));
            return m.results().map(r -> r.group(1)).toList();
        } finally {
            Files.deleteIfExists(dump);
        }
    }
}
