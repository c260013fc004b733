/**
 * The EROFS on-disk format, one class per section of it (numbered as in the EROFS format
 * reference the other classes cite):
 * {@link dev.kiln.fs.erofs.format.Erofs} (global constants and feature bits, §1),
 * {@link dev.kiln.fs.erofs.format.SuperBlock} (§1.1, §1.3),
 * {@link dev.kiln.fs.erofs.format.Lz4Config} (the compression config record, §1.1),
 * {@link dev.kiln.fs.erofs.format.InodeCore} (§2, §5),
 * {@link dev.kiln.fs.erofs.format.ChunkIndex} (§3.3),
 * {@link dev.kiln.fs.erofs.format.Dirent} (§4),
 * {@link dev.kiln.fs.erofs.format.Xattr} (§6),
 * {@link dev.kiln.fs.erofs.format.ZMap} (the compression map header, §8.1) and
 * {@link dev.kiln.fs.erofs.format.LclusterIndex} (FULL and COMPACT indexes, §8.2–8.4).
 *
 * <p>Records carry the fields of {@code include/erofs_fs.h} under their names. Each encodes
 * itself with {@code put(ByteBuffer, offset)} and is decoded with a static
 * {@code decode(ByteBuffer, offset)}, both at an absolute offset of a little-endian buffer, so
 * the writer lays many structures into one metadata buffer and the reader decodes in place,
 * without an array per structure. Decoding only reads: whether a value makes sense is the
 * reader's question, and only the reader knows the nid and the image offset a message must
 * name.
 *
 * <p>Field types follow one rule: 8- and 16-bit fields are {@code int}s holding the unsigned
 * value, 32-bit fields are {@code int}s holding the raw bits (callers widen with
 * {@link java.lang.Integer#toUnsignedLong}), 64-bit fields are {@code long}s. Decoding what a
 * record encoded gives the same fields back (byte arrays equal by content).
 *
 * <p>The package is internal to kiln-fs, not part of its API: the writer and the reader in
 * {@code dev.kiln.fs.erofs} use it, and {@code dev.kiln.fs.target.ErofsKernel} reads the
 * superblock through it.
 */
package dev.kiln.fs.erofs.format;
