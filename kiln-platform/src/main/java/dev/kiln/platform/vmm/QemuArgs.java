package dev.kiln.platform.vmm;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** QEMU's argv for a launch: a pure function of the spec, so it can be read and tested alone. */
final class QemuArgs {
    private QemuArgs() {}

    /** KVM takes the host's CPU model; TCG's most capable one offers what unikernels probe for. */
    static List<String> accel(Accel accel) {
        return accel == Accel.KVM ? List.of("-accel", "kvm", "-cpu", "host") : List.of("-accel", "tcg", "-cpu", "max");
    }

    /**
     * The argv, with paths inside the run directory relative to it (QEMU runs there). The guest
     * starts paused ({@code -S}) so that the console is connected before it prints anything.
     */
    static List<String> build(String qemu, LaunchSpec spec, Accel accel) {
        List<String> a = new ArrayList<>(List.of(qemu,
                "-name", spec.name(),
                "-nodefaults", "-no-reboot", "-nographic", "-S"));
        a.addAll(accel(accel));
        a.addAll(List.of(
                "-m", Integer.toString(spec.memoryMiB()),
                "-smp", Integer.toString(spec.vcpus()),
                "-kernel", RunDir.KERNEL));
        if (spec.initrd() != null) a.addAll(List.of("-initrd", RunDir.INITRD));
        a.addAll(List.of(
                "-append", spec.cmdline(),
                "-pidfile", RunDir.PIDFILE,
                "-qmp", "unix:" + RunDir.QMP + ",server=on,wait=off",
                "-chardev", "socket,id=con0,path=" + RunDir.CONSOLE + ",server=on,wait=off",
                "-serial", "chardev:con0",
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                // SeaBIOS writes its banner and screen-clearing escapes to the serial port when
                // there is no display; port 0 turns that off and keeps the log the guest's own.
                "-fw_cfg", "name=etc/sercon-port,string=0"));
        for (int i = 0; i < spec.disks().size(); i++) {
            LaunchSpec.Disk d = spec.disks().get(i);
            // QEMU 7.2 refuses serial= on the if=virtio shorthand, so the device is spelled out.
            a.addAll(List.of(
                    "-drive", "file=" + option(d.image().toString()) + ",if=none,id=disk" + i + ",format=raw"
                            + (d.readOnly() ? ",readonly=on" : ""),
                    "-device", "virtio-blk-pci,drive=disk" + i + ",serial=" + d.serial()));
        }
        for (int i = 0; i < spec.shares().size(); i++) {
            LaunchSpec.Share s = spec.shares().get(i);
            a.addAll(List.of(
                    "-fsdev", "local,id=fs" + i + ",path=" + option(s.hostDir().toString()) + ",security_model=none"
                            + (s.readOnly() ? ",readonly=on" : ""),
                    "-device", "virtio-9p-pci,fsdev=fs" + i + ",mount_tag=" + s.tag()));
        }
        if (!spec.forwards().isEmpty()) {
            StringBuilder net = new StringBuilder("user,id=net0");
            for (LaunchSpec.PortForward f : spec.forwards()) {
                net.append(",hostfwd=").append(f.protocol().name().toLowerCase(Locale.ROOT))
                        .append(":127.0.0.1:").append(f.hostPort()).append("-:").append(f.guestPort());
            }
            // romfile= skips the iPXE option ROM: guests boot from -kernel, never from the network.
            a.addAll(List.of("-netdev", net.toString(), "-device", "virtio-net-pci,netdev=net0,romfile="));
        }
        return a;
    }

    /** A value inside a QEMU option string, where ',' separates options and ',,' is a literal comma. */
    static String option(String value) {
        return value.replace(",", ",,");
    }
}
