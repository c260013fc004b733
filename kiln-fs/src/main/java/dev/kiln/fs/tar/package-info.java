/**
 * Tar archives: {@link dev.kiln.fs.tar.TarWriter} writes POSIX pax (ustar headers, pax records
 * only where ustar falls short), {@link dev.kiln.fs.tar.TarReader} reads ustar, pax, GNU and v7.
 * {@code TarFormat} holds the on-disk constants and header record both share; the two never
 * share state. See the class comments for the choices a tar writer must make (member names,
 * sockets, determinism) and the limits the reader enforces against hostile input.
 */
package dev.kiln.fs.tar;
