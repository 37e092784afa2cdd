package dev.tandem.migration;

/** Where something was written in a migration file, so that every error can point at it. */
public record SourceLocation(String file, int line, int column) {
    public static SourceLocation unknown(String file) {
        return new SourceLocation(file, 0, 0);
    }

    @Override
    public String toString() {
        return line > 0 ? file + ":" + line + ":" + column : file;
    }
}
