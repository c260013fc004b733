/**
 * The host side of volumes: {@link dev.kiln.platform.volume.VolumeDisks} keeps each volume as a
 * sparse ext4 image of its size, loop-mounted and shared over 9p or attached as a read-write
 * disk, and fills and copies it out through kiln's image formats. The API, the database and the
 * wiring into instances live elsewhere; they reach volumes through this package only.
 */
package dev.kiln.platform.volume;
