/**
 * ROMs for instances: {@link dev.kiln.platform.rom.RomStore} keeps inline ROMs (files from the
 * API, checked by {@link dev.kiln.platform.rom.InlineRoms}) as content-addressed EROFS images;
 * {@link dev.kiln.platform.rom.RomImages} finds an image ROM's blob in the platform's OCI layout
 * (pulling it when a registry is named); {@link dev.kiln.platform.rom.InitrdComposer} lays ROMs
 * into an instance's initrd at their mount points, for guests (Unikraft 0.17) that have no block
 * driver to mount them. Refusals are {@link dev.kiln.platform.rom.RomException}s naming the field.
 */
package dev.kiln.platform.rom;
