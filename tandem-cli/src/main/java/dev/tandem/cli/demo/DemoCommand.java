package dev.tandem.cli.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.postgresql.ds.PGSimpleDataSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import javax.sql.DataSource;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.Callable;

/** {@code tandem demo}: a rolling upgrade of an identity service under live traffic, with the proof nobody noticed. */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Runs a rolling upgrade of a simulated identity service (users table as Keystone had it) under",
                "live traffic: node by node from version 001 to 002 (rename a column, add a computed NOT NULL",
                "email, integer flag to boolean, drop a column), then backfill and contract. Reports per step",
                "requests, failures and latency by version, then checks every row.",
                "Without --url it starts an embedded PostgreSQL in a temporary directory."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:no request failed and every row is consistent",
                "1:a request failed or a row is inconsistent (expected with --naive)",
                "2:bad options"})
public final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--url", paramLabel = "JDBC-URL", description = "Use this PostgreSQL instead of an embedded one.")
    String url;

    @Option(names = "--user", description = "Database user for --url.")
    String user;

    @Option(names = "--password", description = "Database password for --url (never printed).")
    String password;

    @Option(names = "--schema", defaultValue = "tandem_demo",
            description = "Schema the demo creates and uses (default: ${DEFAULT-VALUE}); with --url it must not exist yet, unless --reset.")
    String schema;

    @Option(names = "--reset", description = "With --url: drop the demo schema and its Tandem state first.")
    boolean reset;

    @Option(names = "--rows", defaultValue = "100000", description = "Users loaded before the upgrade (default: ${DEFAULT-VALUE}).")
    int rows;

    @Option(names = "--nodes", defaultValue = "4", description = "Service nodes (default: ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--threads", defaultValue = "2", description = "Worker threads per node (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--rate", defaultValue = "200", description = "Requests per second sent to the service (default: ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--duration", defaultValue = "3s", converter = dev.tandem.cli.DurationConverter.class,
            description = "How long each step of the upgrade serves traffic (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(names = "--naive", description = "Make the same change the way a plain migration tool does: ALTER statements"
            + " in one transaction, then restart every node on the new version. Shows what breaks.")
    boolean naive;

    @Option(names = "--json", description = "Write the report as JSON on stdout (progress stays on stderr).")
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
        EmbeddedPostgres embedded = null;
        try {
            DataSource database;
            if (url == null) {
                log.println("starting an embedded PostgreSQL in a temporary directory ...");
                embedded = EmbeddedPostgres.builder().setServerConfig("max_connections", "200").start();
                PGSimpleDataSource ds = new PGSimpleDataSource();
                ds.setURL(embedded.getJdbcUrl("postgres", "postgres"));
                database = ds;
            } else {
                PGSimpleDataSource ds = new PGSimpleDataSource();
                ds.setURL(url);
                if (user != null) ds.setUser(user);
                if (password != null) ds.setPassword(password);
                database = ds;
            }
            prepare(database, url == null || reset);
            Demo.Settings settings = new Demo.Settings(rows, nodes, threads, rate, duration, naive);
            DemoReport report = new Demo(database, schema, migrations, settings, log).run();
            report.print(log);
            if (json) {
                spec.commandLine().getOut().println(new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                        .enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report));
                spec.commandLine().getOut().flush();
            }
            return report.passed() ? 0 : 1;
        } finally {
            if (embedded != null) embedded.close();
        }
    }

    /** A fresh demo schema: refuses to touch an existing one on a real database unless told to. */
    private void prepare(DataSource database, boolean dropExisting) throws Exception {
        try (Connection c = database.getConnection(); Statement st = c.createStatement()) {
            boolean exists;
            try (PreparedStatement ps = c.prepareStatement("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = ?)")) {
                ps.setString(1, schema);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    exists = rs.getBoolean(1);
                }
            }
            if (exists && !dropExisting) {
                throw new ParameterException(spec.commandLine(), "schema \"" + schema + "\" already exists; use --reset to"
                        + " drop it (and its Tandem state), or --schema to choose another");
            }
            String q = '"' + schema.replace("\"", "\"\"") + '"';
            st.execute("DROP SCHEMA IF EXISTS " + q + " CASCADE");
            for (String version : new String[]{DemoSchema.V1, DemoSchema.V2}) {
                st.execute("DROP SCHEMA IF EXISTS \"" + (schema + "_" + version).replace("\"", "\"\"") + "\" CASCADE");
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass('tandem.migrations') IS NOT NULL")) {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getBoolean(1)) {
                        for (String table : new String[]{"migrations", "backfill", "history", "instances", "instance_versions"}) {
                            try (PreparedStatement del = c.prepareStatement("DELETE FROM tandem." + table + " WHERE schema_name = ?")) {
                                del.setString(1, schema);
                                del.executeUpdate();
                            }
                        }
                    }
                }
            }
            st.execute("CREATE SCHEMA " + q);
        }
    }
}
