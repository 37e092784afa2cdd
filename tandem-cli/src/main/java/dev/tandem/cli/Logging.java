package dev.tandem.cli;

/**
 * Sets up slf4j-simple through system properties, which it reads when a logger is created; so this runs before
 * any class of the core is used. The CLI shows progress itself, so the core's own log is quiet by default
 * (warnings only); {@code --verbose} turns it up to debug, {@code --quiet} down to errors. A level given with
 * {@code -Dorg.slf4j.simpleLogger.log.dev.tandem=...} (e.g. in TANDEM_OPTS) wins unless -v or -q is given.
 */
public final class Logging {
    static final String TANDEM_LEVEL = "org.slf4j.simpleLogger.log.dev.tandem";
    private static final String PREFIX = "org.slf4j.simpleLogger.";
    private static final String USER_LEVEL = System.getProperty(TANDEM_LEVEL);

    private Logging() {
    }

    public static void configure(boolean verbose, boolean quiet) {
        setIfAbsent(PREFIX + "logFile", "System.err");
        setIfAbsent(PREFIX + "showThreadName", "false");
        setIfAbsent(PREFIX + "showShortLogName", "true");
        setIfAbsent(PREFIX + "levelInBrackets", "true");
        setIfAbsent(PREFIX + "defaultLogLevel", "warn");
        // MariaDB Connector/J logs every error packet the server sends as a warning, lock timeouts Tandem retries
        // and the demo's counted failures included; the CLI reports the errors that matter itself.
        setIfAbsent(PREFIX + "log.org.mariadb.jdbc", "error");
        // The version guard logs a forced contract for library users without a listener; the CLI's listener prints the
        // same warning, so at the default level it would show twice.
        setIfAbsent(PREFIX + "log.dev.tandem.engine.lifecycle.VersionGuard", verbose ? "debug" : "error");
        String level = verbose ? "debug" : quiet ? "error" : USER_LEVEL != null ? USER_LEVEL : "warn";
        System.setProperty(TANDEM_LEVEL, level);
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) System.setProperty(key, value);
    }
}
