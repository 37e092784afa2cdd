package dev.tandem.engine;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;

/**
 * A table-level lock mode as PostgreSQL names it ("Explicit Locking" chapter of its manual), declared from the
 * weakest to the strongest, so that the strongest of several is simply the greatest.
 */
public enum LockMode {
    ACCESS_SHARE("ACCESS SHARE"),
    ROW_SHARE("ROW SHARE"),
    ROW_EXCLUSIVE("ROW EXCLUSIVE"),
    SHARE_UPDATE_EXCLUSIVE("SHARE UPDATE EXCLUSIVE"),
    SHARE("SHARE"),
    SHARE_ROW_EXCLUSIVE("SHARE ROW EXCLUSIVE"),
    EXCLUSIVE("EXCLUSIVE"),
    ACCESS_EXCLUSIVE("ACCESS EXCLUSIVE");

    /** The name the manual and LOCK TABLE use, e.g. {@code ACCESS EXCLUSIVE}. */
    public final String text;

    LockMode(String text) {
        this.text = text;
    }

    @JsonValue
    public String text() {
        return text;
    }

    /**
     * The mode named as the manual does ({@code ACCESS EXCLUSIVE}), as {@code pg_locks.mode} does
     * ({@code AccessExclusiveLock}) or as this enum does ({@code ACCESS_EXCLUSIVE}).
     */
    @JsonCreator
    public static LockMode of(String name) {
        String squeezed = name.trim().replaceAll("(?i)lock$", "").replaceAll("[\\s_]", "").toUpperCase(Locale.ROOT);
        for (LockMode m : values()) {
            if (m.name().replace("_", "").equals(squeezed)) return m;
        }
        throw new IllegalArgumentException("not a PostgreSQL table lock mode: " + name);
    }

    public LockMode strongest(LockMode other) {
        return other == null || compareTo(other) >= 0 ? this : other;
    }

    /** What the application notices while the lock is held, from the manual's table of conflicting modes. */
    public String blocks() {
        return switch (this) {
            case ACCESS_EXCLUSIVE -> "blocks reads and writes";
            // EXCLUSIVE lets plain reads through; SHARE and SHARE ROW EXCLUSIVE conflict with ROW EXCLUSIVE (writes).
            case EXCLUSIVE, SHARE_ROW_EXCLUSIVE, SHARE -> "blocks writes";
            case SHARE_UPDATE_EXCLUSIVE, ROW_EXCLUSIVE, ROW_SHARE, ACCESS_SHARE -> "blocks no reads or writes";
        };
    }
}
