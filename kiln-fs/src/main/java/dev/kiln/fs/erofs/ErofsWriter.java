package dev.kiln.fs.erofs;

import static dev.kiln.fs.erofs.format.Erofs.BLOCK_SIZE;
import static dev.kiln.fs.erofs.format.Erofs.SLOT_SIZE;

import dev.kiln.fs.Content;
import dev.kiln.fs.Entry;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.io.FileFeed;
import dev.kiln.fs.io.Output;
import dev.kiln.fs.io.Workers;
import dev.kiln.fs.io.ImageWriter;
import dev.kiln.fs.KilnException;
import dev.kiln.fs.Node;
import dev.kiln.fs.Progress;
import dev.kiln.fs.Tree;
import dev.kiln.fs.io.Utf8;
import dev.kiln.fs.erofs.format.Dirent;
import dev.kiln.fs.erofs.format.Erofs;
import dev.kiln.fs.erofs.format.InodeCore;
import dev.kiln.fs.erofs.format.Lz4Config;
import dev.kiln.fs.erofs.format.SuperBlock;
import dev.kiln.fs.erofs.format.ZMap;
import dev.kiln.fs.lz4.Lz4Compressor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.zip.CRC32;

/**
 * Writes EROFS images (block size 4096) that Linux 5.4+ mounts and fsck.erofs 1.5 accepts;
 * with LZ4 and pclusters above 4096 bytes, Linux 5.13+.
 *
 * <p>Image layout: block 0 holds the superblock, the LZ4 config record (big pclusters), the
 * shared xattrs and the root inode (whose nid must fit 16 bits); file and directory data follow
 * in tree order; the remaining inodes come last, packed best-fit into metadata blocks. Putting
 * metadata after the data lets the writer decide each inode's layout (compressed or not, tail
 * inline or not) after its data is written, without holding data or a second pass over it.
 *
 * <p>Output depends only on the tree and the options: the UUID, unless given, is derived from
 * the image's metadata and a sum of its data ({@link DataDigest}), and compression, though
 * parallel, is cut and consumed in a fixed order.
 *
 * <p>Threads and memory: files that fit in their inode are read on a pool of one thread per core
 * (they take no data blocks, so order does not matter); larger files stream in tree order, with
 * {@code transferTo} when uncompressed and through {@link CompressionPipeline}'s bounded batches
 * when compressed. What stays in memory until the end is the metadata: inodes, xattrs, directory
 * entries, lcluster indexes (8 bytes per 4 KiB of compressed data) and the inline bytes of small
 * files and tails, which live in native memory ({@link InlineStore}) so the collector never
 * copies them, and past 8 MiB in the page cache of a temporary file.
 */
public final class ErofsWriter implements ImageWriter {
    public enum Algorithm { NONE, LZ4, LZ4HC }

    /**
     * @param algorithm    data compression
     * @param level        LZ4HC level (1..12); ignored otherwise
     * @param pclusterSize maximum physical cluster in bytes (4096 = one-block pclusters,
     *                     readable by Linux 5.4; larger needs big pcluster, Linux 5.13+)
     * @param uuid         the filesystem UUID, or null to derive one from the content
     * @param buildTime    superblock build time (seconds); compact inodes carry this mtime
     */
    public record Options(Algorithm algorithm, int level, int pclusterSize, UUID uuid, long buildTime) {
        public static Options defaults() {
            return new Options(Algorithm.NONE, 9, 65536, null, 0);
        }
    }

    /**
     * What one write did with the work started during the walk, for tests to check both ways.
     *
     * @param usedFeed     the write took over everything the feed did
     * @param takenOver    files whose data, copied during the walk, it took over (the prefix rule)
     * @param directWrites the data area went to disk with direct I/O
     */
    record Report(boolean usedFeed, int takenOver, boolean directWrites) {}

    private final Options options;

    public ErofsWriter(Options options) {
        this.options = options;
    }

    /**
     * Starts on file data as the source walk finds the files, on the cores the walk leaves idle,
     * so the write given this feed finds part of its data done. When compressing, a pipeline
     * compresses them; it is used only if the tree holds exactly the files it was told, in order,
     * otherwise the write compresses from scratch. Uncompressed, a {@link PlainFeed} copies them
     * to their places in the output (with direct I/O to its file where it can); the write takes
     * over as much of that as the finished tree agrees with and does the rest.
     */
    @Override
    public FileFeed feed(Output out) {
        if (options.algorithm() == null || options.algorithm() == Algorithm.NONE) {
            return new PlainFeed(out.channel(), out.file(), options.buildTime(), out.workers());
        }
        return CompressionPipeline.fed(compressors(options), options.pclusterSize(), options.algorithm() == Algorithm.LZ4HC,
                out.workers());
    }

    private static Supplier<Lz4Compressor> compressors(Options options) {
        int level = options.level();
        return options.algorithm() == Algorithm.LZ4HC ? () -> Lz4Compressor.hc(level) : Lz4Compressor::fast;
    }

    @Override
    public void write(Tree tree, Output out, FileFeed fed) throws IOException {
        writeReporting(tree, out, fed);
    }

    /** As {@link #write(Tree, Output, FileFeed)}, saying what it did with {@code fed}. */
    Report writeReporting(Tree tree, Output out, FileFeed fed) throws IOException {
        Algorithm alg = options.algorithm() == null ? Algorithm.NONE : options.algorithm();
        int pcluster = options.pclusterSize();
        if (alg != Algorithm.NONE) {
            if (pcluster < BLOCK_SIZE || pcluster % BLOCK_SIZE != 0 || pcluster > ZMap.PCLUSTER_MAX_SIZE) {
                throw new KilnException("EROFS pcluster size must be a multiple of 4096 between 4096 and 1048576, not " + pcluster);
            }
            if (alg == Algorithm.LZ4HC && (options.level() < 1 || options.level() > 12)) {
                throw new KilnException("LZ4HC level must be 1..12, not " + options.level());
            }
        }
        CompressionPipeline ahead = fed instanceof CompressionPipeline p ? p : null;
        PlainFeed plainAhead = fed instanceof PlainFeed p ? p : null;
        Build b = new Build(tree, out, alg, pcluster, ahead, plainAhead);
        b.run();
        return new Report(b.usedFeed, b.takenOver, b.directWrites);
    }

    /** The state of one image build. */
    private final class Build {
        private final Workers workers;
        private boolean usedFeed;
        private int takenOver;
        private boolean directWrites;
        private final Tree tree;
        private final SeekableByteChannel out;
        /** The file {@code out} writes, for direct I/O; null when not known. */
        private final Path file;
        private final Progress progress;
        private final Algorithm alg;
        private final boolean compressing;
        private final boolean bigPcluster;
        private final int pclusterSize;
        private final DataWriter data;
        private final List<Inode> inodes = new ArrayList<>();
        private final XattrEncoder xattrs = new XattrEncoder();
        private final InlineStore inline;
        /** Sums of the data area for the derived UUID; null when the UUID is given. */
        private final DataDigest dataDigest;
        /** Compression started while the tree was read (see {@link #feed}), or null. */
        private final CompressionPipeline ahead;
        /** Uncompressed data copied during the walk, or null; see {@link #takeOverCopies}. */
        private final PlainFeed plainAhead;
        /** Inodes before this index had their file data copied during the walk (and taken over). */
        private int copiedUpTo;
        private int hardLinkPaths;
        private long cursor;

        Build(Tree tree, Output output, Algorithm alg, int pclusterSize, CompressionPipeline ahead, PlainFeed plainAhead) {
            SeekableByteChannel out = output.channel();
            Progress progress = output.progress();
            this.workers = output.workers();
            this.file = output.file();
            this.ahead = ahead;
            this.plainAhead = alg == Algorithm.NONE ? plainAhead : null;
            this.inline = this.plainAhead != null ? this.plainAhead.takeStore() : new InlineStore();
            this.tree = tree;
            this.out = out;
            this.progress = progress == null ? Progress.NONE : progress;
            this.alg = alg;
            this.compressing = alg != Algorithm.NONE;
            this.bigPcluster = compressing && pclusterSize > BLOCK_SIZE;
            this.pclusterSize = pclusterSize;
            this.data = new DataWriter(out);
            this.dataDigest = options.uuid() == null ? new DataDigest(workers) : null;
        }

        void run() throws IOException {
            try (inline; DataDigest d = dataDigest; data) {
                layOutAndWrite();
            }
        }

        private void layOutAndWrite() throws IOException {
            collect();
            progress.phase("erofs: inodes collected");
            int headerEnd = SuperBlockEncoder.headerEnd(bigPcluster);
            int sharedEnd = xattrs.layoutShared(headerEnd);
            long buildTime = options.buildTime();
            for (int i = 0; i < inodes.size(); i++) {
                Inode n = inodes.get(i);
                n.ino = i + 1;
                n.xattrs = n.meta.xattrs().isEmpty() ? null : xattrs.ibody(n.meta.xattrs(), n.path());
                if (n instanceof Inode.Dir d) {
                    DirectoryBuilder.seal(d);
                    n.nlink = 2 + d.subdirs;
                }
                n.chooseVersion(buildTime); // decides the inode's size, which planDirectory needs
                if (n instanceof Inode.Dir d) planDirectory(d);
            }

            // The root goes right after the shared xattrs so its nid fits the superblock's 16 bits.
            Inode root = inodes.getFirst();
            long rootPos = align(sharedEnd, SLOT_SIZE);
            int rootSize = root.metaSize();
            if (rootPos % BLOCK_SIZE + Math.min(rootSize, BLOCK_SIZE) > BLOCK_SIZE) rootPos = align(rootPos, BLOCK_SIZE);
            if ((rootPos >>> Erofs.SLOT_SIZE_BITS) > 0xFFFF) {
                throw new KilnException("EROFS: shared extended attributes too large to keep the root inode in the first 2 MiB");
            }
            root.pos = rootPos;
            long headEnd = rootPos + rootSize;
            long dataStart = (headEnd + BLOCK_SIZE - 1) / BLOCK_SIZE;

            cursor = dataStart;
            progress.phase("erofs: layout planned");
            writeData();
            progress.phase("erofs: data written");

            long dataEnd = cursor;
            MetadataAllocator alloc = new MetadataAllocator(dataEnd);
            if (headEnd % BLOCK_SIZE != 0) alloc.addOpen(dataStart - 1, (int) (headEnd % BLOCK_SIZE));
            for (int i = 1; i < inodes.size(); i++) {
                Inode n = inodes.get(i);
                n.pos = alloc.allocate(n.metaSize());
            }
            long totalBlocks = dataEnd + alloc.newBlocks();
            if (totalBlocks > 0xFFFFFFFFL) throw new KilnException("EROFS image too large: " + totalBlocks + " blocks");

            for (Inode n : inodes) if (n instanceof Inode.Dir d) writeDirectory(d);
            data.endDirect(); // the metadata is written the usual way: it shares blocks
            progress.phase("erofs: directories written");
            writeMetadata(dataStart, dataEnd, totalBlocks, headerEnd, sharedEnd);
            progress.phase("erofs: metadata written");
        }

        /** Turns the tree into inodes (hard-link groups once) and directory child lists. */
        private void collect() {
            HashMap<EntryPath, Inode> linkTargets = new HashMap<>();
            Inode.Dir[] dirs = new Inode.Dir[16];
            for (Entry e : tree.entries()) {
                EntryPath p = e.path();
                int depth = p.isRoot() ? 0 : p.depth();
                Inode n;
                if (e.node() instanceof Node.HardLink h) {
                    n = linkTargets.get(h.target());
                    if (n == null) throw new KilnException(p + ": hard link to " + h.target() + " which was not seen before");
                    hardLinkPaths++;
                } else {
                    n = newInode(e.node(), e.links());
                    inodes.add(n);
                    xattrs.count(n.meta.xattrs(), p);
                    if (e.links() > 1) linkTargets.put(p, n);
                }
                if (depth > 0) {
                    String name = p.name();
                    if (Utf8.length(name) > Dirent.MAX_NAME_LEN) {
                        throw new KilnException(p + ": name longer than 255 bytes");
                    }
                    dirs[depth - 1].addChild(name, n);
                    if (n.name == null) { // a hard link's later paths keep the first
                        n.name = name;
                        n.parent = dirs[depth - 1];
                    }
                }
                if (n instanceof Inode.Dir d) {
                    if (depth >= dirs.length) dirs = Arrays.copyOf(dirs, dirs.length * 2);
                    dirs[depth] = d;
                    if (depth == 0) n.parent = n; // the root's ".." is itself; other parents are set above
                }
            }
        }

        private Inode newInode(Node node, int links) {
            Inode n = switch (node) {
                case Node.File f -> new Inode(f.meta(), f.mode(), Dirent.FT_REG_FILE, f.content(), 0, f.content().size());
                case Node.Symlink s -> {
                    byte[] target = s.target().getBytes(StandardCharsets.UTF_8);
                    yield new Inode(s.meta(), s.mode(), Dirent.FT_SYMLINK, Content.of(target), 0, target.length);
                }
                case Node.Device d -> new Inode(d.meta(), d.mode(), Inode.fileType(d), null,
                        InodeCore.encodeDevice(d.major(), d.minor()), 0);
                case Node.Directory d -> new Inode.Dir(d.meta(), d.mode());
                default -> new Inode(node.meta(), node.mode(), Inode.fileType(node), null, 0, 0);
            };
            n.nlink = links;
            return n;
        }

        /** Directories are never compressed; the last partial block is inlined when it fits. */
        private void planDirectory(Inode.Dir d) {
            int tail = (int) (d.size % BLOCK_SIZE);
            boolean inlined = tail > 0 && d.inodeSize() + d.xattrSize() + tail <= BLOCK_SIZE;
            d.layout = inlined ? InodeCore.FLAT_INLINE : InodeCore.FLAT_PLAIN;
            if (inlined) { // filled once every nid is known
                d.bodyAt = inline.allocate(tail);
                d.bodySize = tail;
            }
        }

        private void writeData() throws IOException {
            int threads = workers.parallelism();
            takeOverCopies();
            // File data and directory blocks come in order, each in blocks of its own: they go
            // with direct I/O, sparing this thread the kernel's copy into the page cache.
            directWrites = data.startDirect(file);
            if (directWrites) progress.phase("erofs: data area written with direct I/O");
            List<Inode> compressible = new ArrayList<>();
            List<Inode> small = new ArrayList<>();
            for (int i = 0; i < inodes.size(); i++) {
                Inode n = inodes.get(i);
                if (isCompressible(n)) compressible.add(n);
                else if (isInodeOnly(n) && !copied(i, n)) small.add(n);
            }
            // Files that fit in their inode need no data blocks, so nothing orders them: they are
            // read on other threads while this one streams the rest (most files of a rootfs are small).
            // A handful of files, or bytes already in memory (an in-process ROM build), are not
            // worth a thread pool.
            if (small.size() < 64 || small.stream().noneMatch(n -> n.content instanceof Content.Slice)) {
                SmallFileReader.readAll(small, inline);
                small.clear();
            }
            SmallFileReader smallReader = small.isEmpty() ? null : new SmallFileReader(small, threads, inline, workers);
            CompressionPipeline pipeline = null;
            if (!compressible.isEmpty()) {
                boolean same = ahead != null && ahead.fedExactly(compressible);
                usedFeed = same;
                progress.phase(same ? "erofs: compression started during the walk is used" : "erofs: compression starts");
                pipeline = same ? ahead : CompressionPipeline.of(compressible, compressors(options), pclusterSize,
                        alg == Algorithm.LZ4HC, workers);
            }
            if (ahead != null && pipeline != ahead) ahead.close(); // its work does not fit this tree
            try {
                int told = 0;
                for (int i = 0; i < inodes.size(); i++) {
                    Inode n = inodes.get(i);
                    if (copied(i, n)) {
                        takeOver(n, told++);
                    } else if (!isInodeOnly(n) && (n.fileType == Dirent.FT_REG_FILE || n.fileType == Dirent.FT_SYMLINK)) {
                        if (pipeline != null && isCompressible(n)) writeCompressed(n, pipeline);
                        else writePlain(n);
                    } // a directory's blocks come after all file data; a device's number is its i_u, set with it
                    progress.advance(n.fileType == Dirent.FT_REG_FILE ? n.size : 0, 1);
                }
                // Directories after the files, so that where a file's data goes depends on the
                // files before it only, which the walk can work out (PlainFeed).
                for (Inode n : inodes) {
                    if (n.fileType != Dirent.FT_DIR) continue;
                    long full = n.layout == InodeCore.FLAT_INLINE ? n.size / BLOCK_SIZE
                            : (n.size + BLOCK_SIZE - 1) / BLOCK_SIZE;
                    n.iu = full > 0 ? (int) cursor : Erofs.NULL_ADDR;
                    cursor += full;
                }
                progress.phase("erofs: main data loop");
                if (smallReader != null) smallReader.await();
                progress.phase("erofs: small files awaited");
            } finally {
                if (pipeline != null) pipeline.close();
                if (smallReader != null) smallReader.close();
            }
            if (hardLinkPaths > 0) progress.advance(0, hardLinkPaths);
        }

        /**
         * Checks what {@link PlainFeed} copied during the walk against the finished tree, in
         * order, and keeps the longest prefix that agrees ({@link #copiedUpTo}). Whatever was
         * copied past it is cut off, so the writer writes the rest over zeros, as without a feed.
         */
        private void takeOverCopies() throws IOException {
            if (plainAhead == null || !plainAhead.finish()) return;
            long c = cursor;
            int told = 0;
            int i = 0;
            for (; i < inodes.size(); i++) {
                Inode n = inodes.get(i);
                if (n.fileType != Dirent.FT_REG_FILE && n.fileType != Dirent.FT_SYMLINK) continue;
                byte kind = storage(n);
                if (n.fileType == Dirent.FT_REG_FILE) {
                    if (!plainAhead.agrees(told, n.content, kind, c)) break;
                    told++;
                }
                c += PlainFeed.blocks(n.size, kind);
            }
            copiedUpTo = i;
            takenOver = told;
            usedFeed = i == inodes.size() && told == plainAhead.copied();
            progress.phase("erofs: data copied during the walk checked (" + told + " of " + plainAhead.copied() + " files)");
            if (out.size() > c * BLOCK_SIZE) out.truncate(c * BLOCK_SIZE);
        }

        /** Whether inode {@code i} is a file whose data was copied during the walk and is taken over. */
        private boolean copied(int i, Inode n) {
            return i < copiedUpTo && n.fileType == Dirent.FT_REG_FILE;
        }

        /** Sets a file's layout from what {@link PlainFeed} copied for it ({@code told}: its index in the feed). */
        private void takeOver(Inode n, int told) {
            byte kind = storage(n);
            if (kind == PlainFeed.INODE_ONLY) {
                n.layout = InodeCore.FLAT_INLINE;
                n.iu = Erofs.NULL_ADDR;
                n.bodySize = (int) n.size;
                n.bodyAt = plainAhead.body(told);
                return;
            }
            boolean inline = planPlain(n);
            if (inline) {
                n.bodyAt = plainAhead.body(told);
                n.bodySize = (int) (n.size % BLOCK_SIZE);
            }
            long inData = inline ? n.size / BLOCK_SIZE * BLOCK_SIZE : n.size;
            if (dataDigest != null && inData > 0) dataDigest.hostFile(n, (Content.Slice) n.content, inData);
            cursor += PlainFeed.blocks(n.size, kind);
        }

        /** A file or symlink smaller than a block whose bytes fit inline with its inode. */
        private boolean isInodeOnly(Inode n) {
            return (n.fileType == Dirent.FT_REG_FILE || n.fileType == Dirent.FT_SYMLINK)
                    && storage(n) == PlainFeed.INODE_ONLY;
        }

        private boolean isCompressible(Inode n) {
            return compressing && n.fileType == Dirent.FT_REG_FILE && CompressionPipeline.worthCompressing(n.size);
        }

        /** Keeps {@code body} (null: none) in the inline store as what follows {@code n}'s inode. */
        private void keep(Inode n, byte[] body) {
            if (body == null) return;
            n.bodyAt = inline.copyOf(body, 0, body.length);
            n.bodySize = body.length;
        }

        /**
         * How {@code n}'s data is stored now that its inode and xattr sizes are known: the one
         * rule ({@link PlainFeed#kind}) that the feed's plan, made during the walk, also follows.
         */
        private static byte storage(Inode n) {
            return PlainFeed.kind(n.size, n.inodeSize() + n.xattrSize());
        }

        /** FLAT_INLINE when the tail fits in one block with the inode and its xattrs, else FLAT_PLAIN. */
        private boolean planPlain(Inode n) {
            byte kind = storage(n);
            boolean inline = kind == PlainFeed.INODE_ONLY || kind == PlainFeed.INLINE_TAIL;
            long full = PlainFeed.blocks(n.size, kind);
            n.layout = inline ? InodeCore.FLAT_INLINE : InodeCore.FLAT_PLAIN;
            // An empty file points at block 0, a tail-only one at nothing (as mkfs writes them).
            n.iu = full > 0 ? (int) cursor : inline ? Erofs.NULL_ADDR : 0;
            return inline;
        }

        private void writePlain(Inode n) throws IOException {
            boolean inline = planPlain(n);
            long start = cursor;
            long inData = inline ? n.size / BLOCK_SIZE * BLOCK_SIZE : n.size;
            if (n.size > 0) {
                boolean hostFile = n.content instanceof Content.Slice;
                CRC32 sum = dataDigest != null && !hostFile ? new CRC32() : null;
                keep(n, data.write(n.content, n.size, start, inline, n, sum));
                if (sum != null) n.dataCrc = (int) sum.getValue();
                else if (dataDigest != null && inData > 0) dataDigest.hostFile(n, (Content.Slice) n.content, inData);
            }
            cursor += inline ? n.size / BLOCK_SIZE : (n.size + BLOCK_SIZE - 1) / BLOCK_SIZE;
        }

        private void writeCompressed(Inode n, CompressionPipeline pipeline) throws IOException {
            long start = cursor;
            long plainBlocks = (n.size + BLOCK_SIZE - 1) / BLOCK_SIZE;
            CompressionPipeline.Segment seg = pipeline.next();
            if (seg.content != n.content) throw new IllegalStateException("compression out of order at " + n.path());
            if (seg.last && seg.extents.totalBlocks() >= plainBlocks) {
                // Whole file in memory and compression saves nothing: store it plain, as mkfs does.
                boolean inline = planPlain(n);
                CRC32 sum = dataDigest != null ? new CRC32() : null;
                keep(n, data.write(seg.batch.in, seg.inOff, seg.length, start, inline, sum));
                if (sum != null) n.dataCrc = (int) sum.getValue();
                cursor += inline ? n.size / BLOCK_SIZE : plainBlocks;
                return;
            }
            // Inode slots are 32-byte aligned, so aligning within the inode aligns in the image.
            int pad = (int) ZMap.headerPos(n.inodeSize() + n.xattrSize()) - n.inodeSize() - n.xattrSize();
            LclusterIndexBuilder index = new LclusterIndexBuilder(n.size, pad, bigPcluster);
            CRC32 sum = dataDigest != null ? new CRC32() : null;
            while (true) {
                data.writeFully(ByteBuffer.wrap(seg.batch.out, seg.outOff, seg.outLen), cursor * BLOCK_SIZE);
                if (sum != null) sum.update(seg.batch.out, seg.outOff, seg.outLen);
                PclusterPacker.Extents x = seg.extents;
                for (int i = 0; i < x.count; i++) {
                    index.extent(x.length[i], (int) cursor, x.blocks[i], x.raw[i]);
                    cursor += x.blocks[i];
                }
                if (seg.last) break;
                seg = pipeline.next();
                if (seg.content != n.content) throw new IllegalStateException("compression out of order at " + n.path());
            }
            long used = cursor - start;
            if (used >= plainBlocks) {
                // A large file that did not compress: rewrite it plain over the same blocks.
                cursor = start;
                writePlain(n);
                return;
            }
            n.layout = InodeCore.COMPRESSED_FULL;
            n.iu = (int) used;
            if (sum != null) n.dataCrc = (int) sum.getValue();
            keep(n, index.finish());
        }

        /** Encodes a directory now that every nid is known: full blocks to data, the tail inline. */
        private void writeDirectory(Inode.Dir d) throws IOException {
            byte[] bytes = DirectoryBuilder.encode(d);
            if (d.layout == InodeCore.FLAT_INLINE) {
                int tail = d.bodySize;
                int full = bytes.length - tail;
                if (full > 0) data.writeFully(ByteBuffer.wrap(bytes, 0, full), (long) d.iu * BLOCK_SIZE);
                inline.write(d.bodyAt, bytes, full, tail);
                if (dataDigest != null) d.dataCrc = crc32(bytes, full);
            } else {
                data.writeBlocks(bytes, 0, bytes.length, (long) d.iu * BLOCK_SIZE);
                if (dataDigest != null) d.dataCrc = crc32(bytes, bytes.length);
            }
        }

        private void writeMetadata(long dataStart, long dataEnd, long totalBlocks, int headerEnd, int sharedEnd)
                throws IOException {
            MessageDigest digest;
            try {
                digest = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
            Inode[] byPos = inodes.toArray(new Inode[0]);
            Arrays.sort(byPos, Comparator.comparingLong(n -> n.pos));

            byte[] head = new byte[(int) (dataStart * BLOCK_SIZE)];
            ByteBuffer headBuf = Erofs.littleEndian(head);
            byte[] shared = xattrs.sharedArea();
            System.arraycopy(shared, 0, head, headerEnd, shared.length);
            if (bigPcluster) SuperBlockEncoder.putLz4Config(head, pclusterSize / BLOCK_SIZE);

            MetadataStream tail = new MetadataStream(data, dataEnd * BLOCK_SIZE, totalBlocks * BLOCK_SIZE, digest);
            byte[] scratch = new byte[BLOCK_SIZE];
            ByteBuffer scratchBuf = Erofs.littleEndian(scratch);
            long headLimit = dataStart * BLOCK_SIZE;
            for (Inode n : byPos) {
                int size = n.metaSize();
                if (n.pos < headLimit) {
                    n.encode(headBuf, (int) n.pos, inline);
                } else {
                    if (scratch.length < size) {
                        scratch = new byte[Math.max(size, scratch.length * 2)];
                        scratchBuf = Erofs.littleEndian(scratch);
                    }
                    n.encode(scratchBuf, 0, inline);
                    tail.put(n.pos, scratch, 0, size);
                }
            }
            tail.finish();

            int features = Erofs.FEATURE_COMPAT_SB_CHKSUM | Erofs.FEATURE_COMPAT_MTIME;
            int incompat = 0;
            int u1 = 0;
            if (compressing) {
                incompat |= Erofs.FEATURE_INCOMPAT_LZ4_0PADDING;
                u1 = Lz4Config.MAX_DISTANCE;
                if (bigPcluster) {
                    incompat |= Erofs.FEATURE_INCOMPAT_COMPR_CFGS;
                    u1 = 1 << ZMap.COMPRESSION_LZ4; // available_compr_algs
                }
            }
            Inode root = inodes.getFirst();
            byte[] noUuid = new byte[16];
            SuperBlock sb = SuperBlockEncoder.superBlock(features, incompat, u1, root.nid(), inodes.size(),
                    options.buildTime(), totalBlocks, noUuid);
            sb.put(headBuf, SuperBlock.OFFSET);
            digest.update(head);
            if (dataDigest != null) dataDigest.foldInto(digest, inodes);
            byte[] uuid = options.uuid() != null ? bytes(options.uuid()) : nameBasedUuid(digest.digest());
            sb = SuperBlockEncoder.superBlock(features, incompat, u1, root.nid(), inodes.size(), options.buildTime(),
                    totalBlocks, uuid);
            SuperBlockEncoder.put(head, sb);
            data.writeFully(ByteBuffer.wrap(head), 0);
            long length = totalBlocks * BLOCK_SIZE;
            // A large incompressible file rewritten plain at the very end can leave stale bytes past the end.
            if (out.size() > length) out.truncate(length);
            if (out.size() < length) data.writeFully(ByteBuffer.wrap(new byte[1]), length - 1);
        }
    }

    private static int crc32(byte[] b, int len) {
        CRC32 c = new CRC32();
        c.update(b, 0, len);
        return (int) c.getValue();
    }

    private static byte[] bytes(UUID u) {
        return ByteBuffer.allocate(16).putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits()).array();
    }

    /** An RFC 4122 name-based (version 5 style) UUID from a digest of the image's metadata. */
    private static byte[] nameBasedUuid(byte[] digest) {
        byte[] u = Arrays.copyOf(digest, 16);
        u[6] = (byte) ((u[6] & 0x0f) | 0x50);
        u[8] = (byte) ((u[8] & 0x3f) | 0x80);
        return u;
    }

    private static long align(long v, int a) {
        return (v + a - 1) / a * a;
    }
}
