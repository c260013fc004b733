package dev.kiln.platform.guest;

import dev.kiln.fs.KilnException;

/**
 * A request whose {@code args}, {@code env} or mounts cannot be put on the guest's kernel command
 * line as given: a character the guest's parser would act on, a value it cannot receive intact,
 * more words or bytes than it accepts. {@link #field()} names the request field the way the API
 * spells it ({@code args[3]}, {@code env[APP_MODE]}, {@code mounts[0].at}, or {@code args} for
 * the line as a whole), so the API can answer 400 pointing at it.
 */
public final class GuestArgsException extends KilnException {
    private final String field;
    private final String problem;

    public GuestArgsException(String field, String problem) {
        super(field + ": " + problem);
        this.field = field;
        this.problem = problem;
    }

    public String field() {
        return field;
    }

    public String problem() {
        return problem;
    }
}
