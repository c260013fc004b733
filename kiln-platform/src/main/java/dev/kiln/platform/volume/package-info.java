/**
 * Volumes. {@link dev.kiln.platform.volume.VolumeService} owns their rules (names, sizes, the
 * state machine, attach and detach, import and export while unmounted) and keeps them in the
 * store; {@link dev.kiln.platform.volume.VolumeDisks} is their host side: each volume a sparse
 * ext4 image of its size, loop-mounted and shared over 9p or attached as a read-write disk, filled
 * and copied out through kiln's image formats. {@link dev.kiln.platform.volume.DiskBacking} joins
 * the two.
 */
package dev.kiln.platform.volume;
