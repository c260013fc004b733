package dev.kiln.platform.vmm;

import dev.kiln.fs.KilnException;

/**
 * A guest that could not be launched, adopted or controlled: a launch spec QEMU cannot take, QEMU
 * missing or failing at start-up (its own message is quoted), a run directory that is not one
 * of ours. The message names the instance ({@code kiln-<id>}) or the run directory.
 */
public final class VmmException extends KilnException {
    public VmmException(String message) {
        super(message);
    }

    public VmmException(String message, Throwable cause) {
        super(message, cause);
    }
}
