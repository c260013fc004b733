package dev.kiln.fs.erofs.format;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.testing.SampleTree;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.UUID;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The codec on its own: every record decodes to what was encoded, encoding writes every byte of
 * its structure (reserved ones as zeros) and nothing around it, and the records read what
 * mkfs.erofs 1.5 writes. The writer and reader tests cover the records in use; these pin them
 * one by one, with the extreme values of each field.
 */
class ErofsCodecTest {
    private static final int AT = 40; // not aligned to anything, so no field relies on the offset
    private static final byte JUNK = (byte) 0xA5;

    /**
     * Encodes {@code r} at {@link #AT} of a zeroed and of a junk-filled buffer: both must hold
     * the same {@code size} bytes (so every byte was written), the junk around them must be left
     * alone, and decoding must give {@code r} back.
     */
    private static <R> byte[] roundTrip(R r, int size, BiConsumer<R, ByteBuffer> put, BiFunction<ByteBuffer, Integer, R> decode) {
        byte[] zeros = new byte[AT + size + 40];
        byte[] junk = new byte[zeros.length];
        Arrays.fill(junk, JUNK);
        put.accept(r, Erofs.littleEndian(zeros));
        put.accept(r, Erofs.littleEndian(junk));
        assertThat(Arrays.copyOfRange(junk, AT, AT + size)).as("bytes of %s", r).isEqualTo(Arrays.copyOfRange(zeros, AT, AT + size));
        for (int i = 0; i < junk.length; i++) {
            if (i < AT || i >= AT + size) assertThat(junk[i]).as("byte %d outside %s", i, r).isEqualTo(JUNK);
        }
        assertThat(decode.apply(Erofs.littleEndian(junk), AT)).usingRecursiveComparison().isEqualTo(r);
        return Arrays.copyOfRange(zeros, AT, AT + size);
    }

    private static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (seed + 37 * i);
        return b;
    }

    @Test
    void superBlock() {
        for (SuperBlock sb : new SuperBlock[] {
            new SuperBlock(Erofs.MAGIC, 0x12345678, 3, 12, 0, 36, 3, 1_234_567_890L, 999_999_999, 11, 0, 0,
                    bytes(16, 1), bytes(16, 2), 0x3, 1, 0, 0, 0),
            new SuperBlock(-1, -1, -1, 255, 255, 0xFFFF, Long.MIN_VALUE, -1, -1, -1, -1, -1,
                    bytes(16, 3), bytes(16, 4), -1, 0xFFFF, 0xFFFF, 0xFFFF, -1),
        }) {
            roundTrip(sb, SuperBlock.SIZE, (r, b) -> r.put(b, AT), SuperBlock::decode);
        }
    }

    @Test
    void superBlockChecksumIgnoresTheStoredValue() {
        byte[] block = bytes(4096, 9);
        int len = SuperBlock.checksumLength(4096);
        int sum = SuperBlock.checksum(block, SuperBlock.OFFSET, len);
        Erofs.littleEndian(block).putInt(SuperBlock.OFFSET + SuperBlock.CHECKSUM_OFFSET, 0);
        assertThat(SuperBlock.checksum(block, SuperBlock.OFFSET, len)).isEqualTo(sum);
        assertThat(SuperBlock.checksumLength(4096)).isEqualTo(3072);
        assertThat(SuperBlock.checksumLength(512)).isEqualTo(512);
    }

    @Test
    void lz4Config() {
        for (Lz4Config c : new Lz4Config[] {new Lz4Config(Lz4Config.MAX_DISTANCE, 16), new Lz4Config(0, 0xFFFF)}) {
            byte[] b = roundTrip(c, Lz4Config.ENCODED_SIZE, (r, buf) -> assertThat(r.put(buf, AT)).isEqualTo(Lz4Config.ENCODED_SIZE),
                    Lz4Config::decode);
            assertThat(Erofs.littleEndian(b).getShort(0)).isEqualTo((short) Lz4Config.SIZE);
        }
    }

    @Test
    void inodeCores() {
        for (int layout = InodeCore.FLAT_PLAIN; layout <= InodeCore.CHUNK_BASED; layout++) {
            int compact = InodeCore.format(InodeCore.VERSION_COMPACT, layout);
            int extended = InodeCore.format(InodeCore.VERSION_EXTENDED, layout);
            assertThat(InodeCore.layout(compact)).isEqualTo(layout);
            assertThat(InodeCore.layout(extended)).isEqualTo(layout);
            assertThat(InodeCore.version(compact)).isEqualTo(InodeCore.VERSION_COMPACT);
            assertThat(InodeCore.version(extended)).isEqualTo(InodeCore.VERSION_EXTENDED);
            assertThat(compact & ~InodeCore.FORMAT_KNOWN_BITS).isZero();
            roundTrip(new InodeCore.Compact(compact, 5, 0100644, 1, 4097, Erofs.NULL_ADDR, 7, 0, 0),
                    InodeCore.COMPACT_SIZE, (r, b) -> r.put(b, AT), InodeCore.Compact::decode);
            roundTrip(new InodeCore.Extended(extended, 0, 040755, 1L << 40, 12, 8, 70_000, 70_001, -5, 999_999_999, 3),
                    InodeCore.EXTENDED_SIZE, (r, b) -> r.put(b, AT), InodeCore.Extended::decode);
        }
        roundTrip(new InodeCore.Compact(0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, -1, -1, -1, 0xFFFF, 0xFFFF),
                InodeCore.COMPACT_SIZE, (r, b) -> r.put(b, AT), InodeCore.Compact::decode);
        roundTrip(new InodeCore.Extended(0xFFFF, 0xFFFF, 0xFFFF, -1, -1, -1, -1, -1, Long.MIN_VALUE, -1, -1),
                InodeCore.EXTENDED_SIZE, (r, b) -> r.put(b, AT), InodeCore.Extended::decode);
        ByteBuffer b = Erofs.littleEndian(new byte[InodeCore.COMPACT_SIZE]);
        new InodeCore.Compact(InodeCore.format(1, InodeCore.COMPRESSED_COMPACT), 0, 0, 0, 0, 0, 0, 0, 0).put(b, 0);
        assertThat(InodeCore.formatAt(b, 0)).isEqualTo(7);
    }

    @Test
    void deviceNumbers() {
        // The reference's examples (§2.5), then numbers that need every part of new_encode_dev.
        assertThat(InodeCore.encodeDevice(1, 3)).isEqualTo(0x103);
        assertThat(InodeCore.encodeDevice(7, 0)).isEqualTo(0x700);
        for (int[] d : new int[][] {{0, 0}, {1, 3}, {300, 70_000}, {4095, (1 << 20) - 1}}) {
            int iu = InodeCore.encodeDevice(d[0], d[1]);
            assertThat(InodeCore.deviceMajor(iu)).isEqualTo(d[0]);
            assertThat(InodeCore.deviceMinor(iu)).isEqualTo(d[1]);
        }
    }

    @Test
    void dirent() {
        for (Dirent d : new Dirent[] {new Dirent(36, 48, Dirent.FT_DIR), new Dirent(-1, 0xFFFF, 0xFF)}) {
            byte[] b = roundTrip(d, Dirent.SIZE, (r, buf) -> r.put(buf, AT), Dirent::decode);
            byte[] c = new byte[Dirent.SIZE];
            Dirent.put(Erofs.littleEndian(c), 0, d.nid(), d.nameOff(), d.fileType());
            assertThat(c).isEqualTo(b);
        }
    }

    @Test
    void xattrs() {
        roundTrip(new Xattr.IbodyHeader(0, 3), Xattr.IbodyHeader.SIZE, (r, b) -> r.put(b, AT), Xattr.IbodyHeader::decode);
        roundTrip(new Xattr.IbodyHeader(-1, 255), Xattr.IbodyHeader.SIZE, (r, b) -> r.put(b, AT), Xattr.IbodyHeader::decode);
        roundTrip(new Xattr.EntryHeader(255, 6, 0xFFFF), Xattr.EntryHeader.SIZE, (r, b) -> r.put(b, AT), Xattr.EntryHeader::decode);
        for (int nameLen = 0; nameLen < 4; nameLen++) {
            Xattr.Entry e = new Xattr.Entry(Xattr.INDEX_USER, bytes(nameLen, 5), bytes(3, 6));
            assertThat(e.size() % 4).isZero();
            byte[] b = roundTrip(e, e.size(), (r, buf) -> assertThat(r.put(buf, AT)).isEqualTo(r.size()), Xattr.Entry::decode);
            assertThat(Xattr.EntryHeader.decode(Erofs.littleEndian(b), 0)).isEqualTo(e.header());
        }
        // "trusted.overlay.opaque=y" inline takes 32 bytes of area (reference §6).
        Xattr.Entry opaque = new Xattr.Entry(Xattr.nameIndex("trusted.overlay.opaque"), "overlay.opaque".getBytes(), "y".getBytes());
        assertThat(Xattr.IbodyHeader.SIZE + opaque.size()).isEqualTo(32);
        assertThat(Xattr.ibodySize(Xattr.icount(32))).isEqualTo(32);
        assertThat(Xattr.icount(Xattr.IbodyHeader.sharedIdOffset(1))).isEqualTo(2);
        assertThat(Xattr.ibodySize(0)).isZero();
        assertThat(Xattr.icount(0)).isZero();
    }

    @Test
    void xattrNameIndexes() {
        assertThat(Xattr.nameIndex("user.x")).isEqualTo(Xattr.INDEX_USER);
        assertThat(Xattr.nameIndex("trusted.overlay.opaque")).isEqualTo(Xattr.INDEX_TRUSTED);
        assertThat(Xattr.nameIndex("security.capability")).isEqualTo(Xattr.INDEX_SECURITY);
        assertThat(Xattr.nameIndex("lustre.lov")).isEqualTo(Xattr.INDEX_LUSTRE);
        assertThat(Xattr.nameIndex("system.posix_acl_access")).isEqualTo(Xattr.INDEX_POSIX_ACL_ACCESS);
        assertThat(Xattr.nameIndex("system.posix_acl_default")).isEqualTo(Xattr.INDEX_POSIX_ACL_DEFAULT);
        // ACL prefixes are whole names; anything else under system. has no index.
        assertThat(Xattr.nameIndex("system.posix_acl_access.x")).isZero();
        assertThat(Xattr.nameIndex("system.other")).isZero();
        assertThat(Xattr.nameIndex("user")).isZero();
        for (int i = 1; i <= Xattr.INDEX_SECURITY; i++) assertThat(Xattr.nameIndex(Xattr.prefix(i))).isEqualTo(i);
        assertThat(Xattr.prefix(0)).isNull();
        assertThat(Xattr.prefix(Xattr.INDEX_SECURITY + 1)).isNull();
    }

    @Test
    void mapHeader() {
        roundTrip(new ZMap.MapHeader(0, ZMap.ADVISE_BIG_PCLUSTER_1, ZMap.COMPRESSION_LZ4, 0), ZMap.MapHeader.SIZE,
                (r, b) -> r.put(b, AT), ZMap.MapHeader::decode);
        ZMap.MapHeader tail = new ZMap.MapHeader(2795 << 16, ZMap.ADVISE_INLINE_PCLUSTER | ZMap.ADVISE_COMPACTED_2B, 0x21, 0);
        roundTrip(tail, ZMap.MapHeader.SIZE, (r, b) -> r.put(b, AT), ZMap.MapHeader::decode);
        assertThat(tail.idataSize()).isEqualTo(2795);
        assertThat(tail.algorithmHead1()).isEqualTo(1);
        assertThat(tail.algorithmHead2()).isEqualTo(2);
        assertThat(tail.wholeFileFragment()).isFalse();
        // A whole file in the packed inode: all 64 bits but the flag are its offset.
        ZMap.MapHeader whole = new ZMap.MapHeader(0x89ABCDEF, 0x4567, 0x23, 0x81);
        roundTrip(whole, ZMap.MapHeader.SIZE, (r, b) -> r.put(b, AT), ZMap.MapHeader::decode);
        assertThat(whole.wholeFileFragment()).isTrue();
        assertThat(whole.wholeFileFragmentOffset()).isEqualTo(0x0123456789ABCDEFL);
        assertThat(ZMap.headerPos(1184 + 32 + 12)).isEqualTo(1232);
        assertThat(ZMap.headerPos(1232)).isEqualTo(1232);
    }

    @Test
    void fullLclusterIndexes() {
        LclusterIndex head = LclusterIndex.head(LclusterIndex.TYPE_HEAD1, 0x0A60, 10);
        byte[] b = roundTrip(head, LclusterIndex.SIZE, (r, buf) -> r.put(buf, AT), LclusterIndex::decode);
        assertThat(HexFormat.of().formatHex(b)).isEqualTo("0100600a0a000000");
        assertThat(head.type()).isEqualTo(LclusterIndex.TYPE_HEAD1);
        assertThat(head.blkAddr()).isEqualTo(10);
        LclusterIndex nonHead = LclusterIndex.nonHead(0x0A60, LclusterIndex.D0_CBLKCNT | 2, 9);
        b = roundTrip(nonHead, LclusterIndex.SIZE, (r, buf) -> r.put(buf, AT), LclusterIndex::decode);
        assertThat(HexFormat.of().formatHex(b)).isEqualTo("0200600a02080900");
        assertThat(nonHead.delta0()).isEqualTo(LclusterIndex.D0_CBLKCNT | 2);
        assertThat(nonHead.delta1()).isEqualTo(9);
        LclusterIndex dedupe = new LclusterIndex(LclusterIndex.TYPE_HEAD2 | LclusterIndex.PARTIAL_REF, 0xFFFF, -1);
        roundTrip(dedupe, LclusterIndex.SIZE, (r, buf) -> r.put(buf, AT), LclusterIndex::decode);
        assertThat(dedupe.type()).isEqualTo(LclusterIndex.TYPE_HEAD2);
        assertThat(dedupe.partialRef()).isTrue();
        assertThat(dedupe.delta0()).isEqualTo(0xFFFF);
        assertThat(dedupe.delta1()).isEqualTo(0xFFFF);
    }

    @Test
    void compactIndexes() {
        // The reference's worked example (§8.4): a 4-byte pack with HEAD1 at offset 0, a NONHEAD
        // 9 lclusters before the next head, and base block 4.
        ByteBuffer pack = Erofs.littleEndian(HexFormat.of().parseHex("0010092004000000"));
        int lobits = LclusterIndex.CompactEntry.lobits(Erofs.BLOCK_SIZE_BITS);
        assertThat(lobits).isEqualTo(12);
        assertThat(LclusterIndex.CompactEntry.decode(pack, 0, LclusterIndex.CompactPacks.PACK_4B, 0, lobits))
                .isEqualTo(new LclusterIndex.CompactEntry(LclusterIndex.TYPE_HEAD1, 0));
        assertThat(LclusterIndex.CompactEntry.decode(pack, 0, LclusterIndex.CompactPacks.PACK_4B, 1, lobits))
                .isEqualTo(new LclusterIndex.CompactEntry(LclusterIndex.TYPE_NONHEAD, 9));
        assertThat(LclusterIndex.CompactEntry.packBlkAddr(pack, 0, LclusterIndex.CompactPacks.PACK_4B)).isEqualTo(4);

        // ebase 1240 (= 24 mod 32): 2 entries in one 4-byte pack reach the 32-byte boundary, then
        // 2-byte packs of 16, then 4-byte packs for the rest.
        long ebase = 1240;
        long initial = LclusterIndex.CompactPacks.initial4b(ebase);
        assertThat(initial).isEqualTo(2);
        long twoByte = LclusterIndex.CompactPacks.compacted2b(40, initial);
        assertThat(twoByte).isEqualTo(32);
        LclusterIndex.CompactPacks packs = new LclusterIndex.CompactPacks(ebase, initial, twoByte);
        assertThat(packs.pos(0)).isEqualTo(1240);
        assertThat(packs.pos(2)).isEqualTo(1248);
        assertThat(packs.packSize(2)).isEqualTo(LclusterIndex.CompactPacks.PACK_2B);
        assertThat(packs.packStart(17)).isEqualTo(1248);
        assertThat(packs.slot(17)).isEqualTo(15);
        assertThat(packs.packStart(18)).isEqualTo(1280);
        assertThat(packs.pos(34)).isEqualTo(1312);
        assertThat(packs.packSize(34)).isEqualTo(LclusterIndex.CompactPacks.PACK_4B);
        assertThat(packs.slot(35)).isEqualTo(1);
        assertThat(packs.end(40)).isEqualTo(1312 + 3 * 8);
    }

    @Test
    void chunkIndexes() {
        roundTrip(new ChunkIndex(0, 0, 1234), ChunkIndex.SIZE, (r, b) -> r.put(b, AT), ChunkIndex::decode);
        roundTrip(new ChunkIndex(0xFFFF, 0xFFFF, Erofs.NULL_ADDR), ChunkIndex.SIZE, (r, b) -> r.put(b, AT), ChunkIndex::decode);
        int format = ChunkIndex.format(0xABCD_0000 | ChunkIndex.FORMAT_INDEXES | 1);
        assertThat(format).isEqualTo(ChunkIndex.FORMAT_INDEXES | 1);
        assertThat(ChunkIndex.entrySize(format)).isEqualTo(ChunkIndex.SIZE);
        assertThat(ChunkIndex.entrySize(1)).isEqualTo(ChunkIndex.BLOCK_MAP_ENTRY_SIZE);
        ByteBuffer b = Erofs.littleEndian(new byte[4]);
        b.putInt(0, Erofs.NULL_ADDR);
        assertThat(ChunkIndex.decodeBlockMap(b, 0)).isEqualTo(Erofs.NULL_ADDR);
    }

    /** What mkfs.erofs 1.5 writes for a small tree, decoded field by field. */
    @Test
    void decodesMkfsImages(@TempDir Path tmp) throws IOException {
        Path src = Files.createDirectory(tmp.resolve("src"));
        String line = "compressible line of text\n";
        Files.write(src.resolve("f"), line.repeat(2000).getBytes());
        Files.writeString(src.resolve("g"), "hi\n");
        String uuid = "11111111-2222-3333-4444-555555555555";
        UUID u = UUID.fromString(uuid);
        byte[] uuidBytes = ByteBuffer.allocate(16).putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits()).array();

        byte[] plain = mkfs(tmp, src, "plain", "-U" + uuid);
        SuperBlock sb = SuperBlock.decode(Erofs.littleEndian(plain), SuperBlock.OFFSET);
        assertThat(sb.magic()).isEqualTo(Erofs.MAGIC);
        assertThat(sb.checksum()).isEqualTo(SuperBlock.checksum(plain, SuperBlock.OFFSET, SuperBlock.checksumLength(Erofs.BLOCK_SIZE)));
        assertThat(sb.featureCompat()).isEqualTo(Erofs.FEATURE_COMPAT_SB_CHKSUM | Erofs.FEATURE_COMPAT_MTIME);
        assertThat(sb.blkszbits()).isEqualTo(Erofs.BLOCK_SIZE_BITS);
        assertThat(sb.sbExtslots()).isZero();
        assertThat(sb.rootNid()).isEqualTo((SuperBlock.OFFSET + SuperBlock.SIZE) / Erofs.SLOT_SIZE); // 36: right after the superblock
        assertThat(sb.inos()).isEqualTo(3);
        assertThat(sb.buildTime()).isEqualTo(1_234_567_890L);
        assertThat(sb.buildTimeNsec()).isZero();
        assertThat((long) sb.blocks() * Erofs.BLOCK_SIZE).isEqualTo(plain.length);
        assertThat(sb.metaBlkAddr()).isZero();
        assertThat(sb.xattrBlkAddr()).isZero();
        assertThat(sb.uuid()).isEqualTo(uuidBytes);
        assertThat(sb.volumeName()).isEqualTo(new byte[16]);
        assertThat(sb.featureIncompat()).isZero();
        assertThat(sb.u1()).isZero();
        assertThat(sb.extraDevices()).isZero();
        assertThat(sb.packedNid()).isZero();
        // Every byte mkfs wrote is a field the record keeps: encoding it again gives the same bytes.
        byte[] again = new byte[SuperBlock.SIZE];
        sb.put(Erofs.littleEndian(again), 0);
        assertThat(again).isEqualTo(Arrays.copyOfRange(plain, SuperBlock.OFFSET, SuperBlock.OFFSET + SuperBlock.SIZE));

        // The root directory: a compact inode with its dirents inline, "." and ".." first.
        ByteBuffer p = Erofs.littleEndian(plain);
        int rootPos = sb.rootNid() * Erofs.SLOT_SIZE;
        InodeCore.Compact root = InodeCore.Compact.decode(p, rootPos);
        assertThat(InodeCore.version(root.format())).isEqualTo(InodeCore.VERSION_COMPACT);
        assertThat(InodeCore.layout(root.format())).isEqualTo(InodeCore.FLAT_INLINE);
        assertThat(root.mode() & 0170000).isEqualTo(0040000);
        assertThat(root.iu()).isEqualTo(Erofs.NULL_ADDR);
        assertThat(root.nlink()).isEqualTo(2);
        int dirents = rootPos + InodeCore.COMPACT_SIZE + Xattr.ibodySize(root.xattrIcount());
        Dirent dot = Dirent.decode(p, dirents);
        assertThat(dot).isEqualTo(new Dirent(sb.rootNid(), 4 * Dirent.SIZE, Dirent.FT_DIR));
        assertThat(Dirent.decode(p, dirents + Dirent.SIZE)).isEqualTo(new Dirent(sb.rootNid(), 4 * Dirent.SIZE + 1, Dirent.FT_DIR));
        assertThat(Dirent.decode(p, dirents + 2 * Dirent.SIZE).fileType()).isEqualTo(Dirent.FT_REG_FILE);
        assertThat(root.size()).isEqualTo(4 * Dirent.SIZE + ".".length() + "..".length() + "f".length() + "g".length());

        byte[] big = mkfs(tmp, src, "big", "-zlz4hc", "-C65536");
        SuperBlock bigSb = SuperBlock.decode(Erofs.littleEndian(big), SuperBlock.OFFSET);
        assertThat(bigSb.featureIncompat()).isEqualTo(Erofs.FEATURE_INCOMPAT_LZ4_0PADDING | Erofs.FEATURE_INCOMPAT_COMPR_CFGS);
        assertThat(bigSb.u1()).isEqualTo(1 << ZMap.COMPRESSION_LZ4); // available_compr_algs
        ByteBuffer bb = Erofs.littleEndian(big);
        int cfg = SuperBlock.OFFSET + SuperBlock.SIZE;
        assertThat(bb.getShort(cfg)).isEqualTo((short) Lz4Config.SIZE);
        assertThat(Lz4Config.decode(bb, cfg)).isEqualTo(new Lz4Config(Lz4Config.MAX_DISTANCE, 16));

        // File "f" compressed with COMPACT indexes: lcluster 0 is a head at offset 0.
        int bigRoot = bigSb.rootNid() * Erofs.SLOT_SIZE;
        InodeCore.Compact bigRootCore = InodeCore.Compact.decode(bb, bigRoot);
        Dirent f = Dirent.decode(bb, bigRoot + InodeCore.COMPACT_SIZE + Xattr.ibodySize(bigRootCore.xattrIcount()) + 2 * Dirent.SIZE);
        int fPos = (int) f.nid() * Erofs.SLOT_SIZE;
        InodeCore.Compact fCore = InodeCore.Compact.decode(bb, fPos);
        assertThat(InodeCore.layout(fCore.format())).isEqualTo(InodeCore.COMPRESSED_COMPACT);
        assertThat(fCore.size()).isEqualTo(2000 * line.length());
        long headerPos = ZMap.headerPos(fPos + InodeCore.COMPACT_SIZE + Xattr.ibodySize(fCore.xattrIcount()));
        ZMap.MapHeader h = ZMap.MapHeader.decode(bb, (int) headerPos);
        assertThat(h.algorithmHead1()).isEqualTo(ZMap.COMPRESSION_LZ4);
        assertThat(h.advise() & (ZMap.ADVISE_BIG_PCLUSTER_1 | ZMap.ADVISE_BIG_PCLUSTER_2))
                .isEqualTo(ZMap.ADVISE_BIG_PCLUSTER_1 | ZMap.ADVISE_BIG_PCLUSTER_2);
        long ebase = headerPos + LclusterIndex.COMPACT_INDEX_START;
        long lclusters = (fCore.size() + Erofs.BLOCK_SIZE - 1) / Erofs.BLOCK_SIZE;
        long initial = LclusterIndex.CompactPacks.initial4b(ebase);
        long twoByte = (h.advise() & ZMap.ADVISE_COMPACTED_2B) != 0 && initial < lclusters
                ? LclusterIndex.CompactPacks.compacted2b(lclusters, initial) : 0;
        LclusterIndex.CompactPacks packs = new LclusterIndex.CompactPacks(ebase, initial, twoByte);
        LclusterIndex.CompactEntry first = LclusterIndex.CompactEntry.decode(bb, (int) packs.packStart(0), packs.packSize(0),
                packs.slot(0), LclusterIndex.CompactEntry.lobits(bigSb.blkszbits()));
        assertThat(first).isEqualTo(new LclusterIndex.CompactEntry(LclusterIndex.TYPE_HEAD1, 0));
    }

    private static byte[] mkfs(Path tmp, Path src, String name, String... options) throws IOException {
        Path img = tmp.resolve(name + ".erofs");
        String[] cmd = new String[options.length + 5];
        cmd[0] = "mkfs.erofs";
        cmd[1] = "-x-1";
        cmd[2] = "-T1234567890";
        System.arraycopy(options, 0, cmd, 3, options.length);
        cmd[cmd.length - 2] = img.toString();
        cmd[cmd.length - 1] = src.toString();
        SampleTree.run(cmd);
        return Files.readAllBytes(img);
    }
}
