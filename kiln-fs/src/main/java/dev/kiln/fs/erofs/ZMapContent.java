package dev.kiln.fs.erofs;

import dev.kiln.fs.Content;
import dev.kiln.fs.lz4.Lz4Decompressor;
import dev.kiln.fs.lz4.Lz4Exception;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * A compressed inode (COMPRESSED_FULL or COMPRESSED_COMPACT): the map header, the per-lcluster
 * index and a stream that walks the index once, front to back, decoding one extent at a time.
 *
 * <p>The kernel maps a single offset by looking back and forth from its lcluster; a whole-file
 * reader can do better by scanning the index in order: each head lcluster starts an extent that
 * ends where the next head starts, and the first NONHEAD after a head carries the pcluster's
 * block count (CBLKCNT) when big pclusters are on. So every index entry is decoded once.
 */
final class ZMapContent extends ErofsContent {
    static final int ADVISE_COMPACTED_2B = 0x1;
    static final int ADVISE_BIG_PCLUSTER_1 = 0x2;
    static final int ADVISE_BIG_PCLUSTER_2 = 0x4;
    static final int ADVISE_INLINE_PCLUSTER = 0x8;
    static final int ADVISE_INTERLACED_PCLUSTER = 0x10;
    static final int ADVISE_FRAGMENT_PCLUSTER = 0x20;

    static final int TYPE_PLAIN = 0, TYPE_HEAD1 = 1, TYPE_NONHEAD = 2, TYPE_HEAD2 = 3;
    static final int D0_CBLKCNT = 0x800;
    static final int ALG_LZ4 = 0;

    /** The kernel's limits: a pcluster holds at most 1 MiB, an extent decodes to at most 12 MiB. */
    static final int MAX_PCLUSTER = 1 << 20;
    static final int MAX_EXTENT = 12 << 20;

    private final long imageSize;
    private final int blkszbits;
    private final boolean compact;
    private final int advise;
    private final int[] algs;
    private final boolean zeroPadding;
    private final long indexStart;
    private final long totalIdx;
    // COMPACT layout: entries in 4-byte packs first, then 2-byte packs, then 4-byte packs again.
    private final long initial4b, compacted2b;
    private final long idataPos;
    private final int idataSize;
    private final long fragmentOff;
    private final Content packed;

    private ZMapContent(Path image, String name, long nid, long size, long imageSize, int blkszbits, boolean compact,
                        int advise, int[] algs, boolean zeroPadding, long indexStart, long totalIdx, long initial4b,
                        long compacted2b, long idataPos, int idataSize, long fragmentOff, Content packed) {
        super(image, name, nid, size);
        this.imageSize = imageSize;
        this.blkszbits = blkszbits;
        this.compact = compact;
        this.advise = advise;
        this.algs = algs;
        this.zeroPadding = zeroPadding;
        this.indexStart = indexStart;
        this.totalIdx = totalIdx;
        this.initial4b = initial4b;
        this.compacted2b = compacted2b;
        this.idataPos = idataPos;
        this.idataSize = idataSize;
        this.fragmentOff = fragmentOff;
        this.packed = packed;
    }

    /**
     * Reads and checks the map header and the extent of the index, so that a broken inode fails
     * when the tree is read rather than halfway through a later copy.
     *
     * @param packed the packed inode's content for fragments, or null when there is none (or
     *               when {@code inode} is the packed inode itself)
     */
    static Content create(ErofsReaderImage img, ErofsReaderInode inode, Content packed) throws IOException {
        long nid = inode.nid();
        long size = inode.size();
        boolean compact = inode.layout() == ErofsReaderInode.LAYOUT_COMPRESSED_COMPACT;
        long hpos = (inode.dataPos() + 7) & ~7L;
        byte[] h = img.read(hpos, 8, "nid " + nid + ": compression map header");
        int clusterbits = h[7] & 0xFF;
        if ((clusterbits & 0x80) != 0) {
            // The whole file lives in the packed inode; the other 63 bits are its offset there.
            long off = ErofsReaderImage.i64(h, 0) & Long.MAX_VALUE;
            return fragment(img, nid, size, packed, off);
        }
        if (size == 0) return Content.empty();
        int advise = ErofsReaderImage.u16(h, 4);
        int[] algs = {h[6] & 0x0F, (h[6] & 0xFF) >>> 4};
        if (algs[0] != ALG_LZ4) throw img.error(nid, hpos, "unsupported compression algorithm " + algs[0] + " (only LZ4 is supported)");
        if (img.has(ErofsReaderImage.INCOMPAT_COMPR_CFGS) && (img.u1 & 1 << ALG_LZ4) == 0) {
            // With COMPR_CFGS the superblock lists the algorithms in use; the kernel refuses others.
            throw img.error(nid, hpos, "LZ4 is not among the superblock's compression algorithms (0x" + Integer.toHexString(img.u1) + ")");
        }
        if ((clusterbits & 0x0F) != 0) {
            throw img.error(nid, hpos, "unsupported logical cluster size 2^" + (img.blkszbits + (clusterbits & 0x0F)));
        }
        if (compact && ((advise & ADVISE_BIG_PCLUSTER_1) != 0) != ((advise & ADVISE_BIG_PCLUSTER_2) != 0)) {
            throw img.error(nid, hpos, "big pcluster flags of compact indexes disagree");
        }
        if ((advise & ADVISE_INLINE_PCLUSTER) != 0 && (advise & ADVISE_FRAGMENT_PCLUSTER) != 0) {
            throw img.error(nid, hpos, "both an inline tail and a fragment tail");
        }
        int bits = img.blkszbits;
        long totalIdx = ((size - 1) >>> bits) + 1;
        long indexStart, indexEnd, initial4b = 0, compacted2b = 0;
        if (!compact) {
            indexStart = hpos + 16;
            if (totalIdx > (img.size - indexStart) / 8) throw img.error(nid, indexStart, "index of " + totalIdx + " lclusters runs past the end of the image");
            indexEnd = indexStart + totalIdx * 8;
        } else {
            if (bits > 12) throw img.error(nid, hpos, "compact indexes need a block size of at most 4096");
            indexStart = hpos + 8;
            initial4b = ((32 - indexStart % 32) / 4) & 7;
            if ((advise & ADVISE_COMPACTED_2B) != 0 && initial4b < totalIdx) {
                if (bits != 12) throw img.error(nid, hpos, "2-byte compact indexes need 4096-byte blocks");
                compacted2b = (totalIdx - initial4b) / 16 * 16;
            }
            if (totalIdx > (img.size - indexStart) / 2) throw img.error(nid, indexStart, "index of " + totalIdx + " lclusters runs past the end of the image");
            long lastPos = compactPos(indexStart, initial4b, compacted2b, totalIdx - 1);
            int pack = packSize(indexStart, initial4b, compacted2b, totalIdx - 1);
            indexEnd = (lastPos & -(long) pack) + pack;
        }
        img.checkRange(indexStart, indexEnd - indexStart, "nid " + nid + ": compression index");
        long idataPos = -1;
        int idataSize = 0;
        if ((advise & ADVISE_INLINE_PCLUSTER) != 0) {
            idataSize = ErofsReaderImage.u16(h, 2);
            // The inline pcluster follows the index entry (or pack) of the last lcluster.
            idataPos = indexEnd;
            if (idataSize == 0 || (idataPos & (img.blockSize - 1)) + idataSize > img.blockSize) {
                throw img.error(nid, idataPos, "inline pcluster of " + idataSize + " bytes crosses a block boundary");
            }
            img.checkRange(idataPos, idataSize, "nid " + nid + ": inline pcluster");
        }
        long fragmentOff = -1;
        if ((advise & ADVISE_FRAGMENT_PCLUSTER) != 0) {
            if (packed == null) throw img.error(nid, hpos, "fragment tail without a packed inode");
            fragmentOff = ErofsReaderImage.u32(h, 0);
        }
        return new ZMapContent(img.path, img.name, nid, size, img.size, bits, compact, advise, algs,
                img.has(ErofsReaderImage.INCOMPAT_ZERO_PADDING), indexStart, totalIdx, initial4b, compacted2b,
                idataPos, idataSize, fragmentOff, packed);
    }

    private static Content fragment(ErofsReaderImage img, long nid, long size, Content packed, long off) {
        if (packed == null) throw img.error(nid, -1, "file stored in the packed inode, but there is none");
        if (off > packed.size() || size > packed.size() - off) {
            throw img.error(nid, -1, "fragment of " + size + " bytes at " + off + " lies outside the packed inode (" + packed.size() + " bytes)");
        }
        if (size == 0) return Content.empty();
        return new ErofsContent.Fragment(img.path, img.name, nid, size, packed, off);
    }

    /** The on-disk shape, for tests that check which layouts an image exercised. */
    String shape() {
        StringBuilder sb = new StringBuilder(compact ? "compact" : "full");
        if ((advise & ADVISE_COMPACTED_2B) != 0 && compacted2b > 0) sb.append("+2b");
        if ((advise & ADVISE_BIG_PCLUSTER_1) != 0) sb.append("+big");
        if ((advise & ADVISE_INLINE_PCLUSTER) != 0) sb.append("+inline");
        if ((advise & ADVISE_FRAGMENT_PCLUSTER) != 0) sb.append("+fragment");
        return sb.toString();
    }

    /** Byte position of the compact entry of {@code lcn}. */
    private static long compactPos(long ebase, long initial4b, long compacted2b, long lcn) {
        if (lcn < initial4b) return ebase + lcn * 4;
        long rest = lcn - initial4b;
        if (rest < compacted2b) return ebase + initial4b * 4 + rest * 2;
        return ebase + initial4b * 4 + compacted2b * 2 + (rest - compacted2b) * 4;
    }

    private static int packSize(long ebase, long initial4b, long compacted2b, long lcn) {
        return lcn >= initial4b && lcn - initial4b < compacted2b ? 32 : 8;
    }

    @Override
    Stream stream(FileChannel ch) {
        return new ExtentStream(ch);
    }

    /** One decoded index entry. */
    private static final class Entry {
        int type;
        int lo; // clusterofs for heads; delta for NONHEADs
        int cblkcnt; // -1 when this NONHEAD carries no block count
        long pblk;
        boolean partialRef;
    }

    private final class ExtentStream extends Stream {
        private final byte[] window;
        private long windowStart = -1, windowEnd = -1;
        private final Entry e = new Entry();
        private final int bs = 1 << blkszbits;

        // The extent whose head was found last and is produced next.
        private boolean started, done;
        private long headLcn, headLa, headPblk;
        private int headType;
        private boolean headPartial;
        private byte[] in = new byte[0];

        ExtentStream(FileChannel ch) {
            super(ch);
            window = new byte[bs];
        }

        /** Bytes of the index, read a block at a time; entries and packs never cross blocks. */
        private int indexBytes(long at, int len) throws IOException {
            if (at < windowStart || at + len > windowEnd) {
                long blockStart = at & -(long) bs;
                int n = (int) Math.min(bs, imageSize - blockStart);
                if (at + len > blockStart + n) throw error("index entry at offset " + at + " runs past the end of the image");
                readAt(blockStart, window, 0, n);
                windowStart = blockStart;
                windowEnd = blockStart + n;
            }
            return (int) (at - windowStart);
        }

        private void decode(long lcn) throws IOException {
            if (compact) decodeCompact(lcn);
            else decodeFull(lcn);
            if (e.type != TYPE_NONHEAD && e.lo >= bs) {
                throw error("lcluster " + lcn + ": cluster offset " + e.lo + " is not inside the lcluster");
            }
            if (e.cblkcnt >= 0 && (advise & (ADVISE_BIG_PCLUSTER_1 | ADVISE_BIG_PCLUSTER_2)) == 0) {
                throw error("lcluster " + lcn + ": compressed block count without big pclusters");
            }
        }

        private void decodeFull(long lcn) throws IOException {
            long at = indexStart + lcn * 8;
            int o = indexBytes(at, 8);
            int di = ErofsReaderImage.u16(window, o);
            e.type = di & 3;
            e.partialRef = (di & 0x8000) != 0;
            e.cblkcnt = -1;
            if (e.type == TYPE_NONHEAD) {
                int d0 = ErofsReaderImage.u16(window, o + 4);
                e.lo = d0;
                if ((d0 & D0_CBLKCNT) != 0) e.cblkcnt = d0 & ~D0_CBLKCNT;
            } else {
                e.lo = ErofsReaderImage.u16(window, o + 2);
                e.pblk = ErofsReaderImage.u32(window, o + 4);
            }
        }

        private void decodeCompact(long lcn) throws IOException {
            long at = compactPos(indexStart, initial4b, compacted2b, lcn);
            int pack = packSize(indexStart, initial4b, compacted2b, lcn);
            int vcnt = pack == 32 ? 16 : 2;
            int shift = pack == 32 ? 1 : 2;
            long packStart = at & -(long) pack;
            int base = indexBytes(packStart, pack);
            int i = (int) ((at - packStart) >>> shift);
            int encodebits = (pack - 4) * 8 / vcnt;
            int lobits = Math.max(blkszbits, 12);
            int v = bitsAt(base, encodebits * i);
            int lo = v & ((1 << lobits) - 1);
            e.type = (v >>> lobits) & 3;
            e.partialRef = false;
            e.cblkcnt = -1;
            e.lo = lo;
            if (e.type == TYPE_NONHEAD) {
                if ((lo & D0_CBLKCNT) != 0) e.cblkcnt = lo & ~D0_CBLKCNT;
                return;
            }
            // A head's block address is the pack's base plus the blocks of the pclusters that
            // start earlier in the same pack; walk back over them as the on-disk encoding demands.
            boolean big = (advise & ADVISE_BIG_PCLUSTER_1) != 0;
            long nblk = big ? 0 : 1;
            int k = i;
            while (k > 0) {
                k--;
                int w = bitsAt(base, encodebits * k);
                int wlo = w & ((1 << lobits) - 1);
                int wtype = (w >>> lobits) & 3;
                if (!big) {
                    if (wtype == TYPE_NONHEAD) k -= wlo;
                    if (k >= 0) nblk++;
                } else if (wtype == TYPE_NONHEAD) {
                    if ((wlo & D0_CBLKCNT) != 0) {
                        k--;
                        nblk += wlo & ~D0_CBLKCNT;
                    } else if (wlo < 2) {
                        throw error("lcluster " + lcn + ": bogus lookback distance " + wlo + " in a big-pcluster pack");
                    } else {
                        k -= wlo - 2;
                    }
                } else {
                    nblk++;
                }
            }
            e.pblk = ErofsReaderImage.u32(window, base + pack - 4) + nblk;
        }

        private int bitsAt(int base, int bitPos) {
            return ErofsReaderImage.i32(window, base + bitPos / 8) >>> (bitPos & 7);
        }

        // The extent found by scanExtent(), not yet produced or skipped.
        private long extLen, extNextHead;
        private boolean extTail, extNonheadFollows;
        private int extCblk;

        /** Finds where the current extent ends: the next head, or the end of the file. */
        private void scanExtent() throws IOException {
            if (done) throw error("compressed extents end before the file size");
            if (!started) {
                decode(0);
                if (e.type == TYPE_NONHEAD || e.lo != 0) throw error("lcluster 0 does not start an extent at offset 0");
                takeHead(0);
                started = true;
            }
            long j = headLcn + 1;
            int cblk = -1;
            boolean nonheadFollows = false;
            while (j < totalIdx) {
                decode(j);
                if (e.type != TYPE_NONHEAD) break;
                if (j == headLcn + 1) {
                    nonheadFollows = true;
                    cblk = e.cblkcnt;
                }
                j++;
            }
            long nextLa = j < totalIdx ? (j << blkszbits) + e.lo : size;
            long llen = Math.min(nextLa, size) - headLa;
            if (llen <= 0 || llen > MAX_EXTENT) throw error("extent at " + headLa + " has impossible length " + llen);
            extLen = llen;
            extTail = nextLa >= size;
            extNonheadFollows = nonheadFollows;
            extCblk = cblk;
            extNextHead = j;
        }

        /** Moves on to the extent after the scanned one; {@code e} still holds the next head's entry. */
        private void finishExtent() {
            if (extTail) done = true;
            else takeHead(extNextHead);
        }

        @Override
        void refill() throws IOException {
            scanExtent();
            produce(extLen, extTail, extNonheadFollows, extCblk);
            finishExtent();
        }

        /** Skips whole extents from the index alone; only the one the skip ends in is decoded. */
        @Override
        long skipUnbuffered(long n) throws IOException {
            long skipped = 0;
            while (skipped < n) {
                scanExtent();
                if (extLen > n - skipped) {
                    produce(extLen, extTail, extNonheadFollows, extCblk);
                    finishExtent();
                    pos = (int) (n - skipped);
                    return n;
                }
                skipped += extLen;
                finishExtent();
            }
            return skipped;
        }

        private dev.kiln.fs.FormatException extentError(String problem) {
            return error("extent at " + headLa + problem);
        }

        private void takeHead(long lcn) {
            headLcn = lcn;
            headLa = (lcn << blkszbits) + e.lo;
            headType = e.type;
            headPblk = e.pblk;
            headPartial = e.partialRef;
        }

        private void produce(long llenL, boolean tail, boolean nonheadFollows, int cblk) throws IOException {
            int llen = (int) llenL;
            if (buf.length < llen) buf = new byte[Math.max(llen, Math.min(MAX_EXTENT, buf.length * 2))];
            pos = 0;
            limit = llen;
            if (tail && (advise & ADVISE_FRAGMENT_PCLUSTER) != 0) {
                long off = fragmentOff;
                if (!compact) off |= headPblk << 32;
                if (off < 0 || off > packed.size() || llen > packed.size() - off) {
                    throw extentError(": fragment at " + off + " lies outside the packed inode");
                }
                try (InputStream pin = packed.open()) {
                    pin.skipNBytes(off);
                    if (pin.readNBytes(buf, 0, llen) != llen) throw extentError(": packed inode ends inside the fragment");
                } catch (java.io.EOFException ex) {
                    throw extentError(": packed inode ends before the fragment");
                }
                return;
            }
            long pa;
            int plen;
            if (tail && (advise & ADVISE_INLINE_PCLUSTER) != 0) {
                pa = idataPos;
                plen = idataSize;
            } else {
                boolean big = (advise & (headType == TYPE_HEAD1 ? ADVISE_BIG_PCLUSTER_1 : ADVISE_BIG_PCLUSTER_2)) != 0;
                long blocks = 1;
                if (big && nonheadFollows) {
                    if (cblk < 0) throw extentError(": no compressed block count after the head lcluster");
                    blocks = cblk;
                }
                plen = (int) Math.min(Integer.MAX_VALUE, blocks << blkszbits);
                if (blocks == 0 || plen > MAX_PCLUSTER) throw extentError(": pcluster of " + blocks + " blocks");
                pa = headPblk << blkszbits;
                if (pa + plen > imageSize) {
                    throw extentError(": pcluster at block " + headPblk + " (" + plen + " bytes) runs past the end of the image");
                }
            }
            if (in.length < plen) in = new byte[Math.max(plen, bs)];
            readAt(pa, in, 0, plen);
            if (headType == TYPE_PLAIN) {
                if (llen > plen) throw extentError(": " + llen + " bytes stored uncompressed in a " + plen + "-byte pcluster");
                if ((advise & ADVISE_INTERLACED_PCLUSTER) != 0) {
                    // Interlaced: the extent starts at its in-block offset and wraps around.
                    int off = (int) (headLa & (bs - 1));
                    if (off > plen) throw extentError(": interlaced offset " + off + " outside a " + plen + "-byte pcluster");
                    int first = Math.min(llen, plen - off);
                    System.arraycopy(in, off, buf, 0, first);
                    System.arraycopy(in, 0, buf, first, llen - first);
                } else {
                    System.arraycopy(in, 0, buf, 0, llen);
                }
                return;
            }
            int alg = algs[headType == TYPE_HEAD1 ? 0 : 1];
            if (alg != ALG_LZ4) throw extentError(": unsupported compression algorithm " + alg + " (only LZ4 is supported)");
            int start = 0;
            if (zeroPadding) {
                // The block is right-aligned in its pcluster; the kernel looks for its start in the first block only.
                int scan = Math.min(plen, bs);
                while (start < scan && in[start] == 0) start++;
                if (start == scan) throw extentError(": compressed data starts with an all-zero block");
            }
            try {
                int n;
                if (zeroPadding && !headPartial) {
                    n = Lz4Decompressor.decompress(in, start, plen - start, buf, 0, llen);
                } else {
                    // Without 0-padding the block is followed by junk, and a partially referenced
                    // pcluster decodes to more than this extent: stop once the extent is full.
                    n = Lz4Decompressor.decompressPrefix(in, start, plen - start, buf, 0, llen);
                }
                if (n != llen) throw extentError(": LZ4 data decodes to " + n + " bytes instead of " + llen);
            } catch (Lz4Exception ex) {
                throw extentError(" (pcluster at byte " + pa + "): corrupt LZ4 data: " + ex.getMessage());
            }
        }
    }
}
