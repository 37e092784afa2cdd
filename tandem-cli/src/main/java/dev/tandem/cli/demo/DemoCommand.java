package dev.tandem.cli.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.tandem.TandemException;
import dev.tandem.cli.DatabaseUrl;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Callable;

/** {@code tandem demo}: a rolling upgrade of an identity service under live traffic, with the proof nobody noticed. */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Run a rolling upgrade of a simulated service under live traffic, and measure it.",
                "%nThe service is an identity service (its users table as Keystone had it) on several nodes. Node by"
                        + " node it moves from version 001 to 002, which renames a column, adds a computed NOT NULL email,"
                        + " turns an integer flag into a boolean and drops a column; then Tandem backfills and contracts."
                        + " The report shows, per step, the requests served by each version, the failures and the"
                        + " latency, then checks every row.",
                "%nWithout --url it starts an embedded PostgreSQL (or, with --db mariadb, an embedded MariaDB) in a"
                        + " temporary directory."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:No request failed and every row is consistent.",
                "1:A request failed or a row is inconsistent (expected with --naive).",
                "2:Bad options."})
public final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--db", paramLabel = "DATABASE", description = "postgres or mariadb: the embedded server to start"
            + " when no --url is given (default: postgres). With --url, the URL says which; --db, if given, must agree.")
    DemoDatabase.Kind db;

    @Option(names = "--url", paramLabel = "URL", description = "Use this server instead of an embedded one: a JDBC URL"
            + " (jdbc:postgresql://HOST:PORT/DATABASE or jdbc:mariadb://HOST:PORT/) or a libpq URI"
            + " (postgresql://USER@HOST:PORT/DATABASE).")
    String url;

    @Option(names = "--user", paramLabel = "NAME", description = "Database user for --url.")
    String user;

    @Option(names = "--password", paramLabel = "PASSWORD", description = "Database password for --url (never printed).")
    String password;

    @Option(names = "--schema", paramLabel = "SCHEMA", defaultValue = "tandem_demo",
            description = "Schema (on MariaDB: database) the demo creates and uses (default: ${DEFAULT-VALUE}), with its"
                    + " Tandem state in SCHEMA_state and the version schemas SCHEMA_001_identity and SCHEMA_002_user_email."
                    + " What a previous demo run left there is dropped first; a schema of those names the demo did not"
                    + " create is refused.")
    String schema;

    @Option(names = "--reset", description = "Drop the schemas named after --schema first, even if the demo did not create them.")
    boolean reset;

    @Option(names = "--rows", paramLabel = "N", defaultValue = "100000", description = "Users loaded before the upgrade (default: ${DEFAULT-VALUE}).")
    int rows;

    @Option(names = "--nodes", paramLabel = "N", defaultValue = "4", description = "Service nodes (default: ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "2", description = "Worker threads per node (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--rate", paramLabel = "N", defaultValue = "200", description = "Requests per second sent to the service (default: ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "3s", converter = dev.tandem.cli.DurationConverter.class,
            description = "How long each step of the upgrade serves traffic (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(names = "--naive", description = "Make the same change the way a plain migration tool does: ALTER statements"
            + " (in one transaction on PostgreSQL; MariaDB commits each), then restart every node on the new version."
            + " Shows what breaks.")
    boolean naive;

    @Option(names = "--json", description = "Write the report as JSON on stdout; the report's table then goes to stderr with the progress.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        // Before the embedded server and the pools create their loggers: progress is ours to show, not theirs.
        dev.tandem.cli.Logging.configure(false, false);
        if (rows < 1 || nodes < 1 || threads < 1 || rate < 1) {
            throw new ParameterException(spec.commandLine(), "--rows, --nodes, --threads and --rate must be at least 1");
        }
        PrintWriter log = spec.commandLine().getErr();
        Path migrations = Files.createTempDirectory("tandem-demo-migrations");
        try (DemoDatabase database = open(log)) {
            DemoSchemas schemas = new DemoSchemas(schema, database);
            try (Connection c = database.server().getConnection()) {
                schemas.dropPrevious(c, reset, log);
                schemas.create(c);
            } catch (SQLException e) {
                throw new TandemException(TandemException.Kind.DATABASE, "the demo's database failed: " + e.getMessage(), e);
            }
            Demo.Settings settings = new Demo.Settings(rows, nodes, threads, rate, duration, naive);
            DemoReport report = new Demo(database, schemas, migrations, settings, log).run();
            // The report is the command's result: stdout, where a redirect or a pipe expects it. With --json the JSON is
            // the result and the table joins the progress on stderr.
            PrintWriter result = json ? log : spec.commandLine().getOut();
            report.print(result);
            result.flush();
            if (json) {
                spec.commandLine().getOut().println(new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                        .enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report));
                spec.commandLine().getOut().flush();
            }
            return report.passed() ? 0 : 1;
        } finally {
            TemporaryDirectories.delete(migrations);
        }
    }

    /** The server: embedded unless --url; which kind by --db, or by the URL, which --db must then agree with. */
    private DemoDatabase open(PrintWriter log) {
        if (url == null) {
            return db == DemoDatabase.Kind.mariadb ? MariaDbDemoDatabase.embedded(log) : PostgresDemoDatabase.embedded(log);
        }
        DatabaseUrl parsed;
        try {
            parsed = DatabaseUrl.parse(url);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--url: " + e.getMessage());
        }
        String jdbc = parsed.jdbcUrl();
        DemoDatabase.Kind kind = jdbc.startsWith("jdbc:postgresql:") ? DemoDatabase.Kind.postgres
                : jdbc.startsWith("jdbc:mariadb:") ? DemoDatabase.Kind.mariadb : null;
        if (kind == null) {
            throw new ParameterException(spec.commandLine(), "--url: unsupported database URL (expected "
                    + "jdbc:postgresql://HOST:PORT/DATABASE, postgresql://USER@HOST:PORT/DATABASE or jdbc:mariadb://HOST:PORT/)");
        }
        if (db != null && db != kind) {
            throw new ParameterException(spec.commandLine(), "--db " + db + " but --url names a " + kind + " server");
        }
        String u = user != null ? user : parsed.user();
        String p = password != null ? password : parsed.password();
        return kind == DemoDatabase.Kind.mariadb ? MariaDbDemoDatabase.at(jdbc, u, p) : PostgresDemoDatabase.at(jdbc, u, p);
    }
}
