package dev.kiln.platform.vmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class QemuArgsTest {
    private static final LaunchSpec SPEC = LaunchSpec.of("abc", Path.of("/run/kiln/abc"), Path.of("/img/kernel"), "-- x");

    @Test
    void aPlainLaunchHasNoNetworkAndTalksThroughSocketsInTheRunDirectory() {
        List<String> a = QemuArgs.build("qemu", SPEC, Accel.TCG);
        assertThat(String.join(" ", a)).isEqualTo("qemu -name kiln-abc -nodefaults -no-reboot -nographic -S"
                + " -accel tcg -cpu max -m 128 -smp 1 -kernel kernel -append -- x -pidfile qemu.pid"
                + " -qmp unix:qmp.sock,server=on,wait=off -chardev socket,id=con0,path=console.sock,server=on,wait=off"
                + " -serial chardev:con0 -device isa-debug-exit,iobase=0xf4,iosize=0x04"
                + " -fw_cfg name=etc/sercon-port,string=0");
        assertThat(a).doesNotContain("-netdev");
    }

    @Test
    void disksSharesAndForwardsWithCommasInPathsDoubled() {
        LaunchSpec s = SPEC.withInitrd(Path.of("/img/initrd")).withMemory(64).withVcpus(2)
                .withDisks(List.of(new LaunchSpec.Disk(Path.of("/roms/a,b.img"), "ukp_rom_a")))
                .withShares(List.of(new LaunchSpec.Share("vol0", Path.of("/vols/x"), true)))
                .withForwards(List.of(new LaunchSpec.PortForward(LaunchSpec.Protocol.TCP, 8080, 80),
                        new LaunchSpec.PortForward(LaunchSpec.Protocol.UDP, 5353, 53)));
        String line = String.join(" ", QemuArgs.build("qemu", s, Accel.KVM));
        assertThat(line).contains(" -accel kvm -cpu host -m 64 -smp 2 -kernel kernel -initrd initrd ")
                .contains(" -drive file=/roms/a,,b.img,if=none,id=disk0,format=raw,readonly=on"
                        + " -device virtio-blk-pci,drive=disk0,serial=ukp_rom_a")
                .contains(" -fsdev local,id=fs0,path=/vols/x,security_model=none,readonly=on"
                        + " -device virtio-9p-pci,fsdev=fs0,mount_tag=vol0")
                .endsWith(" -netdev user,id=net0,hostfwd=tcp:127.0.0.1:8080-:80,hostfwd=udp:127.0.0.1:5353-:53"
                        + " -device virtio-net-pci,netdev=net0,romfile=");
    }

    @Test
    void specsQemuCannotTakeAreRefusedNamingTheField() {
        assertThatThrownBy(() -> LaunchSpec.of("a b", Path.of("/r"), Path.of("/k"), ""))
                .isInstanceOf(VmmException.class).hasMessageStartingWith("launch id \"a b\"");
        assertThatThrownBy(() -> SPEC.withForwards(List.of(new LaunchSpec.PortForward(LaunchSpec.Protocol.TCP, 80, 1),
                new LaunchSpec.PortForward(LaunchSpec.Protocol.TCP, 80, 2))))
                .isInstanceOf(VmmException.class).hasMessageContaining("forwards[1]: host port TCP/80 is forwarded twice");
        assertThatThrownBy(() -> new LaunchSpec.Disk(Path.of("/x"), "serial-longer-than-20-bytes"))
                .isInstanceOf(VmmException.class).hasMessageContaining("1-20");
        assertThatThrownBy(() -> new LaunchSpec.Share("a:b", Path.of("/x"), false))
                .isInstanceOf(VmmException.class).hasMessageContaining("9p tag");
        assertThatThrownBy(() -> SPEC.withMemory(4)).isInstanceOf(VmmException.class).hasMessageContaining("kiln-abc: memory 4");
    }
}
