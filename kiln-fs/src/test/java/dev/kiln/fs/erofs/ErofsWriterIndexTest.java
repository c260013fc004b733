package dev.kiln.fs.erofs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.erofs.format.LclusterIndex;
import dev.kiln.fs.erofs.format.ZMap;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * FULL lcluster indexes as mkfs.erofs 1.5 writes them (reference §8.2–8.3), byte for byte: the
 * kernel tests cover that images decode; these pin the encoding of the corner cases.
 */
class ErofsWriterIndexTest {
    static String entry(byte[] body, int pad, int lcn) {
        int off = pad + LclusterIndex.FULL_INDEX_START + lcn * 8;
        return HexFormat.of().formatHex(body, off, off + 8);
    }

    @Test
    void oneBlockPclustersAndTerminator() {
        // 45 000 bytes: one LZ4 extent of 41 000 bytes in block 5, then 4 000 raw bytes in block 6.
        LclusterIndexBuilder b = new LclusterIndexBuilder(45_000, 0, false);
        b.extent(41_000, 5, 1, false);
        b.extent(4_000, 6, 1, true);
        byte[] body = b.finish();
        assertThat(body).hasSize(16 + 11 * 8);
        assertThat(HexFormat.of().formatHex(body, 0, 8)).isEqualTo("0000000000000000"); // map header: FULL, LZ4
        assertThat(entry(body, 0, 0)).isEqualTo("0100000005000000"); // HEAD1, clusterofs 0, block 5
        assertThat(entry(body, 0, 1)).isEqualTo("0200000001000900"); // NONHEAD, 1 back, 9 ahead
        assertThat(entry(body, 0, 9)).isEqualTo("0200000009000100");
        // 41 000 = 10 * 4096 + 40: the raw extent starts at offset 40 of lcluster 10 ...
        assertThat(entry(body, 0, 10)).isEqualTo("0000280006000000"); // PLAIN, clusterofs 40, block 6
    }

    @Test
    void bigPclusterStoresTheBlockCountInTheFirstNonHead() {
        LclusterIndexBuilder b = new LclusterIndexBuilder(100_000, 4, true);
        b.extent(60_000, 7, 3, false);
        b.extent(40_000, 10, 2, false);
        byte[] body = b.finish();
        ByteBuffer h = ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(h.getShort(4 + 4)).isEqualTo((short) ZMap.ADVISE_BIG_PCLUSTER_1);
        assertThat(entry(body, 4, 0)).isEqualTo("0100000007000000");
        assertThat(entry(body, 4, 1)).isEqualTo("0200000003080d00"); // CBLKCNT | 3, 13 ahead
        assertThat(entry(body, 4, 2)).isEqualTo("0200000002000c00"); // 2 back, 12 ahead
        // 60 000 = 14 * 4096 + 2656 (0x0a60): the second extent's head, in block 10.
        assertThat(entry(body, 4, 14)).isEqualTo("0100600a0a000000");
        // Its NONHEADs repeat the head's clusterofs, as mkfs writes them.
        assertThat(entry(body, 4, 15)).isEqualTo("0200600a02080900"); // CBLKCNT | 2, 9 ahead
        // 100 000 = 24 * 4096 + 1696: a PLAIN terminator at the end-of-file offset.
        assertThat(entry(body, 4, 24)).isEqualTo("0000a00600000000");
    }
}
