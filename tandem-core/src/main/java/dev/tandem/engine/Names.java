package dev.tandem.engine;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** The names Tandem gives to what it creates, kept within the database's identifier length. */
public final class Names {
    public static final String DONE_COLUMN = "_tandem_backfilled";
    private static final int MAX_BYTES = 63;

    private Names() {
    }

    /**
     * The application_name of Tandem's own connections (not of the applications' TandemDataSource), alone (Tandem
     * before commands were named, and its connections that run no command) or followed by a space and
     * {@link #toolApplicationName what runs}.
     */
    public static final String TOOL_APPLICATION_NAME = "tandem";

    /**
     * {@code tandem backfill pid 4242 on db-admin-1}: what another Tandem process, waiting for the migration lock,
     * tells its user about the holder, read from pg_stat_activity. The host comes last, so that it is what
     * PostgreSQL's 63-byte limit cuts. Never {@code tandem:…}, the form of application instances.
     */
    public static String toolApplicationName(String command) {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException | RuntimeException e) {
            host = "unknown host";
        }
        return truncate(TOOL_APPLICATION_NAME + " " + command + " pid " + ProcessHandle.current().pid() + " on " + host);
    }

    /** Whether an application_name is one of Tandem's own connections (see {@link #toolApplicationName}). */
    public static boolean isTool(String applicationName) {
        return applicationName != null && (applicationName.equals(TOOL_APPLICATION_NAME)
                || applicationName.startsWith(TOOL_APPLICATION_NAME + " "));
    }

    private static String truncate(String name) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < name.length(); ) {
            int cp = name.codePointAt(i);
            if ((sb + new String(Character.toChars(cp))).getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) break;
            sb.appendCodePoint(cp);
            i += Character.charCount(cp);
        }
        return sb.toString();
    }

    public static String versionSchema(String schema, String migration) {
        return fit(schema + "_" + migration);
    }

    /**
     * The migration whose version schema {@link #versionSchema} named {@code versionSchema}; null for null or for a
     * name that is not a version schema of {@code schema}. A name {@link #fit} shortened cannot be read back: it gives
     * the shortened tail, which no session names, so such a version's writes are refused by a sync trigger that tells
     * versions by name, never taken for another's.
     */
    public static String migrationOf(String schema, String versionSchema) {
        if (versionSchema == null || !versionSchema.startsWith(schema + "_")) return null;
        return versionSchema.substring(schema.length() + 1);
    }

    public static String shadowColumn(String column) {
        return fit("_tandem_new_" + column);
    }

    /**
     * The NOT VALID check that stands in for NOT NULL until contract. An application that writes a null gets
     * {@code violates check constraint "email is NOT NULL in version 002_email"}: its own column's name and the
     * version that asks for it, not a name of Tandem's. {@code column}: the user's name for the column (of the new
     * version), never a shadow column's. Check constraints are named per table, so the table need not be in it.
     */
    public static String notNullCheck(String column, String migration) {
        return fit(column + " is NOT NULL in version " + migration);
    }

    /**
     * A database message with the names Tandem gave its own objects put in the user's terms: a shadow column as the
     * column it becomes, the done flag and the sync trigger by what they are. For messages a user reads (a failed
     * batch, say), never for SQL.
     */
    public static String forUser(String message) {
        if (message == null) return null;
        return message.replaceAll("\"_tandem_new_([^\"]+)\"", "\"$1\" (its new version's form)")
                .replace("\"" + DONE_COLUMN + "\"", "Tandem's backfill flag").replace(DONE_COLUMN, "Tandem's backfill flag")
                .replaceAll("\"_tandem_sync_([^\"]+)\"", "Tandem's sync trigger for $1");
    }

    /**
     * A step's description with the names of Tandem's own objects said in the user's terms (as {@link #forUser}
     * does for the database's messages, for names written bare as descriptions write them).
     */
    public static String describe(String description) {
        if (description == null) return null;
        return description.replaceAll("_tandem_new_([\\p{L}\\p{N}_$]+)", "$1 (new form)")
                .replace(DONE_COLUMN, "backfill flag")
                .replaceAll("_tandem_sync_[\\p{L}\\p{N}_$]+", "sync trigger")
                .replaceAll("_tandem_([\\p{L}\\p{N}_$]+)", "$1 (rebuilt for the new form)");
    }

    public static String temporary(String name) {
        return fit("_tandem_" + name);
    }

    public static String syncFunction(String schema, String table, String migration) {
        return "sync_" + hash(schema + "." + table + "." + migration).substring(0, 16);
    }

    /**
     * Tandem's sync triggers of a table that has BEFORE row triggers of the user's: PostgreSQL fires the triggers of
     * one event in the byte order of their names ("Overview of Trigger Behavior" in its manual), so these names sort
     * before ({@code !}) and after ({@code ~}) any ASCII name a user gives a trigger.
     */
    public static String syncTriggerFirst(String migration) {
        return fit("!tandem_sync_" + migration);
    }

    public static String syncTriggerLast(String migration) {
        return fit("~tandem_sync_" + migration);
    }

    public static String syncTrigger(String migration) {
        return fit("_tandem_sync_" + migration);
    }

    /**
     * A sync trigger of a database that fires triggers per event and keeps their names per database, not per table
     * (MariaDB, MySQL): {@code _tandem_sync_<migration>_<table>_<event>}, e.g. {@code event} {@code ins}, {@code upd},
     * {@code ins_first}.
     */
    public static String syncTrigger(String migration, String table, String event) {
        return fit("_tandem_sync_" + migration + "_" + table + "_" + event);
    }

    /** PostgreSQL's name for an unnamed constraint: table_column_suffix. */
    public static String constraint(String table, String column, String suffix) {
        return fit(table + "_" + column + "_" + suffix);
    }

    /** Shortens a name that is too long by replacing its tail with a hash, so two long names stay distinct. */
    public static String fit(String name) {
        if (name.getBytes(StandardCharsets.UTF_8).length <= MAX_BYTES) return name;
        String suffix = "_" + hash(name).substring(0, 8);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < name.length(); ) {
            int cp = name.codePointAt(i);
            String next = sb.toString() + new String(Character.toChars(cp));
            if ((next + suffix).getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) break;
            sb.appendCodePoint(cp);
            i += Character.charCount(cp);
        }
        return sb + suffix;
    }

    public static String hash(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
