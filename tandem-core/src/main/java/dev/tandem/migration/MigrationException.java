package dev.tandem.migration;

import dev.tandem.TandemException;

import java.util.List;

/** Bad input in a migration file: every problem found, each with its file and line. */
public class MigrationException extends TandemException {
    private final List<Problem> problems;

    public record Problem(SourceLocation location, String message) {
        @Override
        public String toString() {
            return location + ": " + message;
        }
    }

    public MigrationException(List<Problem> problems) {
        super(Kind.INVALID_INPUT, render(problems));
        this.problems = List.copyOf(problems);
    }

    public MigrationException(SourceLocation location, String message) {
        this(List.of(new Problem(location, message)));
    }

    public List<Problem> problems() {
        return problems;
    }

    private static String render(List<Problem> problems) {
        StringBuilder sb = new StringBuilder();
        for (Problem p : problems) {
            if (!sb.isEmpty()) sb.append('\n');
            sb.append(p);
        }
        return sb.toString();
    }
}
