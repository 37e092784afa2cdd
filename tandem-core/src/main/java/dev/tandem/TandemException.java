package dev.tandem;

/**
 * Everything Tandem refuses or fails at. {@link Kind} tells callers (and the CLI's exit code) what sort of
 * failure it is, so scripts can react without parsing messages.
 */
public class TandemException extends RuntimeException {
    public enum Kind {
        /** The migration files or arguments are wrong; nothing was changed. CLI exit code 2. */
        INVALID_INPUT(2),
        /**
         * The requested step is not allowed in the current phase (e.g. contract before backfill), or the server or
         * login lacks what the migration needs (plan and expand, before anything is changed). Exit code 3.
         */
        REFUSED(3),
        /** Another Tandem process holds the migration lock. Exit code 4. */
        LOCKED(4),
        /** The database failed or could not be reached. Exit code 1. */
        DATABASE(1);

        public final int exitCode;

        Kind(int exitCode) {
            this.exitCode = exitCode;
        }
    }

    private final Kind kind;

    public TandemException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public TandemException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
