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

    public static String shadowColumn(String column) {
        return fit("_tandem_new_" + column);
    }

    public static String notNullCheck(String table, String column) {
        return fit("_tandem_nn_" + table + "_" + column);
    }

    public static String temporary(String name) {
        return fit("_tandem_" + name);
    }

    public static String syncFunction(String schema, String table, String migration) {
        return "sync_" + hash(schema + "." + table + "." + migration).substring(0, 16);
    }

    public static String syncTrigger(String migration) {
        return fit("_tandem_sync_" + migration);
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
