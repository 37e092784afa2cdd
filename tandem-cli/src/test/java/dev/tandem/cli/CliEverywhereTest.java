package dev.tandem.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.testing.MariaDb;
import dev.tandem.testing.MariaDbServer;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole lifecycle through the CLI on every database, as a user types it ({@code --url jdbc:mariadb://...
 * --user root --password ...} on MariaDB): plan, expand, backfill, status, rollback, expand again, backfill, contract;
 * every command's exit code, and {@code status} in text and {@code --json}, the same on PostgreSQL and MariaDB.
 *
 * The words of status's "how an application selects its version" differ by database, and are checked on MariaDB by
 * connecting with the URL it prints.
 */
class CliEverywhereTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String V1 = """
            operations:
              - create_table:
                  table: items
                  columns:
                    - {name: id, type: bigint, primary_key: true}
                    - {name: name, type: varchar(50), nullable: false}
                    - {name: qty, type: integer, nullable: false}
            """;
    static final String V2 = """
            operations:
              - alter_column: {table: items, column: qty, type: bigint, up: "qty", down: "qty"}
              - add_column: {table: items, column: {name: total, type: bigint}, up: "qty * 2"}
            """;

    @TempDir
    Path dir;

    /** What one run printed: the exit codes by command, and status --json after each step. */
    record Run(List<String> exits, List<JsonNode> statuses, List<String> texts) {
    }

    private static List<String> connection(TestDatabase db, String schema) {
        return switch (db) {
            case POSTGRES -> List.of("--url", Pg.url(), "--schema", schema);
            case MARIADB -> List.of("--url", MariaDb.url(schema), "--user", "root", "--password", MariaDbServer.PASSWORD);
        };
    }

    private Run lifecycle(TestDatabase db) {
        String schema = db.newSchema("cli");
        Path files = dir.resolve(db.name());
        try {
            java.nio.file.Files.createDirectories(files);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Migrations m = new Migrations(files).write("001_init.yaml", V1);
        List<String> exits = new ArrayList<>();
        List<JsonNode> statuses = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        java.util.function.BiFunction<String, List<String>, Cli.Result> tandem = (command, more) -> {
            List<String> args = new ArrayList<>(List.of(command));
            args.addAll(connection(db, schema));
            args.addAll(List.of("--migrations", files.toString()));
            args.addAll(more);
            Cli.Result r = Cli.run(args.toArray(String[]::new));
            exits.add(command + String.join(" ", more) + "=" + r.exitCode());
            return r;
        };
        Runnable status = () -> {
            Cli.Result text = tandem.apply("status", List.of());
            texts.add(text.out().replace(schema, "<schema>")); // names differ by how many each server's tests made
            Cli.Result json = tandem.apply("status", List.of("--json"));
            try {
                statuses.add(JSON.readTree(json.out()));
            } catch (Exception e) {
                throw new AssertionError("status --json on " + db + " is not JSON: " + json, e);
            }
        };

        assertThat(tandem.apply("migrate", List.of()).exitCode()).isZero();
        db.exec("INSERT INTO " + db.dialect().qualify(schema, "items") + " SELECT g, 'item', g FROM " + db.series(300));
        m.write("002_change.yaml", V2);
        Cli.Result plan = tandem.apply("plan", List.of());
        assertThat(plan.exitCode()).as(plan.toString()).isZero();
        status.run();
        Cli.Result expand = tandem.apply("expand", List.of());
        assertThat(expand.exitCode()).as(expand.toString()).isZero();
        status.run();
        Cli.Result backfill = tandem.apply("backfill", List.of());
        assertThat(backfill.exitCode()).as(backfill.toString()).isZero();
        status.run();
        Cli.Result rollback = tandem.apply("rollback", List.of());
        assertThat(rollback.exitCode()).as(rollback.toString()).isZero();
        status.run();
        tandem.apply("expand", List.of());
        tandem.apply("backfill", List.of("--json"));
        // contract refuses while the previous version may still run? Both databases must say the same.
        tandem.apply("contract", List.of());
        status.run();
        tandem.apply("contract", List.of("--json"));
        return new Run(exits, statuses, texts);
    }

    @Test
    void theLifecycleSaysTheSameOnEveryDatabase() {
        Run postgres = lifecycle(TestDatabase.POSTGRES);
        Run mariadb = lifecycle(TestDatabase.MARIADB);

        assertThat(mariadb.exits()).as("exit codes").isEqualTo(postgres.exits());
        assertThat(mariadb.statuses()).hasSameSizeAs(postgres.statuses());
        for (int i = 0; i < postgres.statuses().size(); i++) {
            assertThat(shape(mariadb.statuses().get(i))).as("status --json #%d on MariaDB:%n%s", i, mariadb.statuses().get(i))
                    .isEqualTo(shape(postgres.statuses().get(i)));
            assertThat(lineStarts(mariadb.texts().get(i))).as("status #%d on MariaDB:%n%s%nand on PostgreSQL:%n%s", i,
                    mariadb.texts().get(i), postgres.texts().get(i)).isEqualTo(lineStarts(postgres.texts().get(i)));
        }
    }

    /**
     * Every path in the document with its value's kind (array elements merged): the shape, not the values. A
     * backfill's position is left out: its fields follow its {@code walk} (pages on PostgreSQL, whose tables have
     * physical pages to walk; keys on MariaDB, which has none), and {@code walk} itself is compared.
     */
    static TreeSet<String> shape(JsonNode node) {
        TreeSet<String> paths = new TreeSet<>();
        shape(node, "", paths);
        paths.removeIf(p -> p.startsWith(".migrations[].backfill[].position") || p.startsWith(".migrations[].backfill[].last_key")
                || p.startsWith(".migrations[].backfill[].upper_key"));
        return paths;
    }

    private static void shape(JsonNode node, String path, TreeSet<String> paths) {
        paths.add(path + ":" + (node.isNull() ? "null" : node.getNodeType()));
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                shape(e.getValue(), path + "." + e.getKey(), paths);
            }
        } else if (node.isArray()) {
            for (JsonNode element : node) shape(element, path + "[]", paths);
        }
    }

    /** The first word or two of every line: what kind of line it is, not the names and numbers in it. */
    /**
     * The first word of every line, but the line naming an instance's connection setting, which MariaDB has none of
     * (it sees instances by heartbeat and by the connections to a version database).
     */
    static List<String> lineStarts(String text) {
        return text.lines().map(String::strip).filter(l -> !l.startsWith("ApplicationName:"))
                .map(l -> l.split("[ :]", 2)[0]).toList();
    }

    /**
     * On MariaDB, status prints a URL that selects the new version: its version database, and @tandem_version set by
     * the driver. Writing through it is the new version's write (the sync trigger fills the old form with down), and
     * the same in --json.
     */
    @Test
    void statusOnMariaDbPrintsAUrlThatSelectsTheVersion() throws Exception {
        String schema = TestDatabase.MARIADB.newSchema("cliurl");
        Migrations m = new Migrations(dir).write("001_init.yaml", V1);
        List<String> conn = connection(TestDatabase.MARIADB, schema);
        java.util.function.Function<List<String>, Cli.Result> run = args -> {
            List<String> all = new ArrayList<>(args);
            all.addAll(conn);
            all.addAll(List.of("--migrations", dir.toString()));
            return Cli.run(all.toArray(String[]::new));
        };
        assertThat(run.apply(List.of("migrate")).exitCode()).isZero();
        m.write("002_change.yaml", V2);
        assertThat(run.apply(List.of("expand")).exitCode()).isZero();
        assertThat(run.apply(List.of("backfill")).exitCode()).isZero();
        String text = run.apply(List.of("status")).out();
        String urlLine = text.lines().filter(l -> l.contains("JDBC URL")).findFirst().orElseThrow();
        assertThat(urlLine).contains("JDBC URL (MariaDB Connector/J):  jdbc:mariadb://").doesNotContain("currentSchema")
                .contains("/" + schema + "_002_change?").contains("sessionVariables=");
        assertThat(text).doesNotContain("search_path").doesNotContain("ApplicationName");
        JsonNode json = JSON.readTree(run.apply(List.of("status", "--json")).out());
        assertThat(json.at("/versions/0/jdbc_url_option").asText()).startsWith("sessionVariables=");
        // One statement, which a pool's init SQL runs without allowMultiQueries (with the URL's database).
        assertThat(json.at("/versions/0/init_sql").asText()).isEqualTo("SET @tandem_version = '002_change'");

        String url = urlLine.substring(urlLine.indexOf("jdbc:mariadb://"));
        org.mariadb.jdbc.MariaDbDataSource ds = new org.mariadb.jdbc.MariaDbDataSource(url);
        ds.setUser("root");
        ds.setPassword(MariaDbServer.PASSWORD);
        try (java.sql.Connection c = ds.getConnection(); java.sql.Statement st = c.createStatement()) {
            st.execute("INSERT INTO items (id, name, qty, total) VALUES (9, 'n', 5, 7)");
        }
        // Written as the new version: total kept what it wrote; the previous version's insert would get up, qty * 2 = 10.
        assertThat(dev.tandem.testing.Rows.scalar(TestDatabase.MARIADB.dataSource(),
                "SELECT total FROM `" + schema + "_002_change`.items WHERE id = 9")).hasToString("7");
    }
    /**
     * `status` by a MariaDB login without PROCESS, while the version before Tandem is connected as another login: it
     * must not say "none seen" but that it cannot see other logins' sessions, with the GRANT, in text and --json.
     */
    @Test
    void statusWithoutProcessSaysThatOtherLoginsCannotBeSeen() throws Exception {
        String schema = TestDatabase.MARIADB.newSchema("cliblind");
        new Migrations(dir).write("001_init.yaml", V1);
        List<String> root = connection(TestDatabase.MARIADB, schema);
        List<String> migrate = new ArrayList<>(List.of("migrate"));
        migrate.addAll(root);
        migrate.addAll(List.of("--migrations", dir.toString()));
        assertThat(Cli.run(migrate.toArray(String[]::new)).exitCode()).isZero();
        String blind = MariaDb.newUser("blind", "ALL ON `" + schema + "`.*", "ALL ON `tandem`.*");
        java.util.function.Function<String, Cli.Result> status = format -> Cli.run(java.util.stream.Stream.of(
                List.of("status"), format == null ? List.<String>of() : List.of(format), List.of("--url", MariaDb.url(schema),
                        "--user", blind, "--password", MariaDbServer.PASSWORD, "--migrations", dir.toString()))
                .flatMap(List::stream).toArray(String[]::new));
        try (java.sql.Connection old = MariaDb.dataSource(schema).getConnection()) {
            String text = status.apply(null).out();
            assertThat(text).contains("application instances: none of this login's own; other logins' sessions cannot be seen")
                    .contains("GRANT PROCESS ON *.* TO '" + blind + "'@'%';").doesNotContain("none seen");
            JsonNode json = JSON.readTree(status.apply("--json").out());
            assertThat(json.get("sessions_visible").asBoolean()).isFalse();
            assertThat(json.at("/warnings/0").asText()).contains("GRANT PROCESS ON *.* TO '" + blind + "'@'%';");
        }
        JsonNode asRoot = JSON.readTree(Cli.run(java.util.stream.Stream.of(List.of("status", "--json"), root,
                List.of("--migrations", dir.toString())).flatMap(List::stream).toArray(String[]::new)).out());
        assertThat(asRoot.get("sessions_visible").asBoolean()).isTrue();
    }
}
