package dev.kiln.platform.guest;

import dev.kiln.fs.KilnException;

/**
 * The host lacks something the ready-made Linux guest is made of (a kernel with its modules,
 * a static busybox), or has it in a form kiln cannot use. The message names the file and, when
 * a Debian package provides it, {@link #debianPackage()} names the package to install.
 */
public final class GuestKitException extends KilnException {
    private final String debianPackage;

    public GuestKitException(String message, String debianPackage) {
        super(debianPackage == null ? message : message + ": install the Debian package " + debianPackage
                + " (apt-get install " + debianPackage + ")");
        this.debianPackage = debianPackage;
    }

    /** The package that provides what is missing, or null when installing one would not help. */
    public String debianPackage() {
        return debianPackage;
    }
}
