package dev.kiln.fs.build;

import dev.kiln.fs.KilnException;

/**
 * A build request that cannot be carried out as given: an option out of range, options that
 * do not go together, a value that does not parse. {@link #option()} names the option in the
 * request's own words ("pcluster size", "compression"), so a front end can point at its own
 * flag; {@link #problem()} says what is wrong with it.
 */
public final class BuildOptionException extends KilnException {
    private final String option;
    private final String problem;

    public BuildOptionException(String option, String problem) {
        super(option + ": " + problem);
        this.option = option;
        this.problem = problem;
    }

    public String option() {
        return option;
    }

    public String problem() {
        return problem;
    }
}
