package dev.kiln.fs;

/**
 * Base of every error kiln reports to a user. The message is one line that says where the
 * problem is (an archive offset, an entry path, an option) and what is wrong; callers print
 * it as is, never a stack trace.
 */
public class KilnException extends RuntimeException {
    public KilnException(String message) {
        super(message);
    }

    public KilnException(String message, Throwable cause) {
        super(message, cause);
    }
}
