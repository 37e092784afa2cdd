package dev.tandem.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** The commands against a real PostgreSQL; each test has a schema (and state schema) of its own. */
@Timeout(120)
class CommandsTest {
    static final String INIT = """
            operations:
              - create_table:
                  table: users
                  columns:
                    - {name: id, type: bigint, primary_key: true, generated: identity}
                    - {name: name, type: text, nullable: false}
            """;
    static final String EMAIL = """
            operations:
              - add_column:
                  table: users
                  column: {name: email, type: text, nullable: false}
                  up: "lower(name) || '@example.org'"
            """;
    static final ObjectMapper JSON = new ObjectMapper();

    static EmbeddedPostgres pg;
    static String url;

    @TempDir
    Path migrations;
    String schema;

    @BeforeAll
    static void startPostgres() throws IOException {
        pg = EmbeddedPostgres.builder().start();
        url = pg.getJdbcUrl("postgres", "postgres");
    }

    @AfterAll
    static void stopPostgres() throws IOException {
        if (pg != null) pg.close();
    }

    @BeforeEach
    void createSchema(TestInfo test) throws SQLException {
        schema = "t_" + test.getTestMethod().orElseThrow().getName().toLowerCase(Locale.ROOT);
        sql("DROP SCHEMA IF EXISTS " + schema + " CASCADE", "DROP SCHEMA IF EXISTS " + stateSchema() + " CASCADE",
                "CREATE SCHEMA " + schema);
    }

    String stateSchema() {
        return schema + "_state";
    }

    // ------------------------------------------------------------------ tests

    @Test
    void migrateThenStatusShowsComplete() throws Exception {
        write("001_init.yaml", INIT);
        write("002_email.yaml", EMAIL);

        Cli.Result r = tandem("migrate");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.err()).contains("[expand 1/").contains("[contract 1/").contains(" ms");
        assertThat(r.out()).contains("001_init").contains("002_email");

        r = tandem("status", "--json");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        JsonNode status = JSON.readTree(r.out());
        assertThat(status.get("schema").asText()).isEqualTo(schema);
        assertThat(status.get("next").get("action").asText()).isEqualTo("nothing");
        assertThat(status.get("next").get("exit_code").asInt()).isZero();
        List<String> phases = new ArrayList<>();
        status.get("migrations").forEach(m -> phases.add(m.get("name").asText() + ":" + m.get("phase").asText()));
        assertThat(phases).containsExactly("001_init:complete", "002_email:complete");
        assertThat(status.get("versions").get(0).get("role").asText()).isEqualTo("current");
        assertThat(status.get("versions").get(0).get("init_sql").asText()).startsWith("SET search_path TO \"");

        r = tandem("migrate");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("nothing to migrate");

        r = tandem("backfill", "--pause");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(3);
        assertThat(r.err()).contains("there is no backfill to pause: every migration is complete");
    }

    /** What status prints must reach the version's views as printed, also when case folding would change the names. */
    @Test
    void theConnectionSettingsStatusPrintsWorkForAMixedCaseSchema() throws Exception {
        schema = "T_Mixed";
        sql("DROP SCHEMA IF EXISTS \"T_Mixed\" CASCADE", "DROP SCHEMA IF EXISTS \"T_Mixed_state\" CASCADE",
                "CREATE SCHEMA \"T_Mixed\"");
        write("001_init.yaml", INIT);
        assertThat(tandem("migrate").exitCode()).isZero();
        write("002_email.yaml", EMAIL);
        assertThat(tandem("expand", "--wait-ready").exitCode()).isZero();

        Cli.Result r = tandem("status", "--json");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        JsonNode v = JSON.readTree(r.out()).get("versions").get(0);
        assertThat(v.get("role").asText()).isEqualTo("new");
        // Only the new version's view has the email column: selecting it proves the search path took.
        try (Connection c = DriverManager.getConnection(url + "&" + v.get("jdbc_url_option").asText());
             Statement st = c.createStatement()) {
            st.executeQuery("SELECT email FROM users").close();
        }
        try (Connection c = connect(); Statement st = c.createStatement()) {
            st.execute(v.get("init_sql").asText());
            st.executeQuery("SELECT email FROM users").close();
        }
    }

    /**
     * The JDBC URL status prints is pasted as it is: it must work as printed, with nothing in it to fill in (the
     * instance's name, which only the instance knows, is shown apart). docs/CLI.md shows the same form.
     */
    @Test
    void statusPrintsAPasteableUrl() throws Exception {
        write("001_init.yaml", INIT);
        assertThat(tandem("migrate").exitCode()).isZero();
        write("002_email.yaml", EMAIL);
        assertThat(tandem("expand", "--wait-ready").exitCode()).isZero();

        Cli.Result r = tandem("status");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        List<String> lines = r.out().lines().toList();
        int at = lines.indexOf("  " + schema + "_002_email  (new version 002_email, in flight)");
        assertThat(at).as(r.out()).isPositive();
        String urlLine = lines.get(at + 1);
        assertThat(urlLine).startsWith("    JDBC URL (pgjdbc):  jdbc:postgresql://").doesNotContain("<").doesNotContain("%3C")
                .doesNotContain("ApplicationName");
        String printed = urlLine.substring("    JDBC URL (pgjdbc):  ".length());
        // Only the new version's view has the email column: selecting it proves the search path took.
        try (Connection c = DriverManager.getConnection(printed); Statement st = c.createStatement()) {
            st.executeQuery("SELECT email FROM users").close();
        }
        String nameLine = lines.get(at + 2);
        assertThat(nameLine).isEqualTo("    ApplicationName:    tandem:002_email:<instance>  (<instance>: a name unique"
                + " to each instance, e.g. its host name)");

        // docs/CLI.md's example (schema shop): the same lines, the same URL parameters.
        String doc = Files.readString(Path.of("..", "docs", "CLI.md"));
        assertThat(doc).contains(lines.get(at - 2)).contains(lines.get(at - 1))
                .contains(nameLine)
                .contains(printed.substring(printed.indexOf("currentSchema=")).replace(schema, "shop"))
                .contains(lines.get(at + 3).replace(schema, "shop"));
    }

    /** The form tandem sandbox prints for psql works for --url too, and --user still wins over the URI's user. */
    @Test
    void aLibpqUriReachesTheDatabase() throws Exception {
        write("001_init.yaml", INIT);
        Cli.Result r = tandemAt("postgresql://postgres@localhost:" + pg.getPort() + "/postgres?application_name=x", "migrate");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        r = tandemAt("postgres://localhost:" + pg.getPort() + "/postgres", "status", "--user", "postgres");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.out()).contains("001_init   complete");
        r = tandemAt("postgresql://postgres@localhost:" + pg.getPort() + "/postgres", "status", "--user", "nobody_here");
        assertThat(r.exitCode()).as("--user nobody_here was used: " + r).isEqualTo(1);
    }

    @Test
    void statusCheckFollowsTheLifecycle() throws Exception {
        write("001_init.yaml", INIT);
        assertThat(tandem("migrate").exitCode()).isZero();
        sql("INSERT INTO " + schema + ".users (name) SELECT 'User' || i FROM generate_series(1, 2500) i");
        write("002_email.yaml", EMAIL);

        assertThat(check()).isEqualTo(10);
        Cli.Result r = tandem("expand");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.err()).containsPattern("\\[expand 1/\\d+] .+ (…|\\.\\.\\.) \\d+ ms");
        assertThat(r.out()).contains("expanded 002_email");

        assertThat(check()).isEqualTo(11);
        Cli.Result status = tandem("status");
        // Not ready: no schema to connect to yet, and status says so.
        assertThat(status.out()).contains("002_email").contains("expanded").contains("not started")
                .contains("new version 002_email: not ready: backfill not started")
                .contains("next: backfill").doesNotContain("currentSchema=" + schema + "_002_email");

        r = tandem("backfill");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.err()).contains("002_email: backfill users: 2,500/2,500 rows (100%) done");
        assertThat(r.out()).contains("backfilled 002_email");

        assertThat(check()).isEqualTo(12);
        assertThat(query("SELECT walk FROM " + stateSchema() + ".backfill")).isEqualTo("pages");
        assertThat(tandem("status").out()).contains("2,500/2,500 (100%), by page").contains("next: the new version is ready")
                .contains("new version 002_email: ready")
                .contains("currentSchema=" + schema + "_002_email")
                .contains("connectionInitSql: SET search_path TO \"" + schema + "_002_email\"")
                .contains("previous version 001_init");

        r = tandem("contract");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(check()).isZero();
        assertThat(query("SELECT count(*) FROM " + schema + ".users WHERE email = lower(name) || '@example.org'"))
                .isEqualTo("2500");
    }

    @Test
    void jsonEventsAndOutcome() throws Exception {
        write("001_init.yaml", INIT);
        assertThat(tandem("migrate").exitCode()).isZero();
        sql("INSERT INTO " + schema + ".users (name) SELECT 'User' || i FROM generate_series(1, 300) i");
        write("002_email.yaml", EMAIL);

        Cli.Result r = tandem("expand", "--json");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        List<JsonNode> events = lines(r.out());
        assertThat(events.get(0).get("event").asText()).isEqualTo("phase_started");
        assertThat(events).anySatisfy(e -> {
            assertThat(e.get("event").asText()).isEqualTo("step_finished");
            assertThat(e.get("lock").asText()).isNotEmpty();
            assertThat(e.get("locks").get("source").asText()).isEqualTo("derived");
            assertThat(e.get("sql").asText()).isNotEmpty();
        });
        JsonNode last = events.get(events.size() - 1);
        assertThat(last.get("event").asText()).isEqualTo("outcome");
        assertThat(last.get("phase").asText()).isEqualTo("expanded");
        assertThat(last.get("changed").asBoolean()).isTrue();

        r = tandem("backfill", "--json", "--by-key");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(query("SELECT walk FROM " + stateSchema() + ".backfill")).isEqualTo("key");
        events = lines(r.out());
        assertThat(events).anySatisfy(e -> {
            assertThat(e.get("event").asText()).isEqualTo("progress");
            assertThat(e.get("migration").asText()).isEqualTo("002_email");
            assertThat(e.get("table").asText()).isEqualTo("users");
            assertThat(e.get("rows_done").asLong()).isEqualTo(300);
            assertThat(e.get("rows_total").asLong()).isEqualTo(300);
            assertThat(e.has("rows_per_second")).isTrue();
        });
        assertThat(events.get(events.size() - 1).get("phase").asText()).isEqualTo("backfilled");

        r = tandem("contract", "--json", "--quiet");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(lines(r.out())).singleElement().satisfies(e -> assertThat(e.get("event").asText()).isEqualTo("outcome"));
        assertThat(r.err()).isEmpty();
    }

    @Test
    void malformedYamlIsBadInputAndTouchesNothing() throws Exception {
        write("001_init.yaml", INIT);
        write("002_email.yaml", """
                operations:
                  - add_column:
                      table: users
                      column: {name: email, type: text
                  - drop_table: {table: users}
                """);
        for (String command : List.of("migrate", "expand", "plan", "status")) {
            Cli.Result r = tandem(command);
            assertThat(r.exitCode()).as(command + "\n" + r).isEqualTo(2);
            assertThat(r.err()).as(command).contains("tandem: error:").containsPattern("002_email\\.yaml:\\d+:\\d+: ")
                    .doesNotContain("\tat ");
        }
        assertThat(query("SELECT count(*) FROM pg_namespace WHERE nspname = '" + stateSchema() + "'")).isEqualTo("0");
        assertThat(query("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = '" + schema + "'")).isEqualTo("0");

        Cli.Result r = tandem("migrate", "--json");
        JsonNode error = JSON.readTree(r.out());
        assertThat(error.get("event").asText()).isEqualTo("error");
        assertThat(error.get("exit_code").asInt()).isEqualTo(2);
        assertThat(error.get("problems").get(0).get("file").asText()).endsWith("002_email.yaml");
        assertThat(error.get("problems").get(0).get("line").asInt()).isPositive();
    }

    @Test
    void contractBeforeBackfillIsRefused() throws Exception {
        write("001_init.yaml", INIT);
        assertThat(tandem("migrate").exitCode()).isZero();
        sql("INSERT INTO " + schema + ".users (name) VALUES ('Ann'), ('Bob')");
        write("002_email.yaml", EMAIL);
        assertThat(tandem("expand").exitCode()).isZero();

        Cli.Result r = tandem("contract");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(3);
        assertThat(r.err()).startsWith("tandem: error: ").contains("not backfilled").contains("tandem backfill");
        assertThat(check()).isEqualTo(11);
    }

    @Test
    void rollbackAfterContractIsRefusedWithTheReason() throws Exception {
        write("001_init.yaml", INIT);
        write("002_email.yaml", EMAIL);
        assertThat(tandem("migrate").exitCode()).isZero();

        Cli.Result r = tandem("rollback");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(3);
        assertThat(r.err()).contains("nothing to roll back").contains("002_email was contracted")
                .contains("write a new migration");
    }

    @Test
    void rollbackUndoesAnExpand() throws Exception {
        write("001_init.yaml", INIT);
        assertThat(tandem("migrate").exitCode()).isZero();
        write("002_email.yaml", EMAIL);
        assertThat(tandem("expand").exitCode()).isZero();
        assertThat(columnExists("users", "email")).isTrue();

        Cli.Result r = tandem("rollback");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.err()).contains("[rollback 1/");
        assertThat(r.out()).contains("rolled back 002_email");
        assertThat(columnExists("users", "email")).isFalse();
        assertThat(check()).isEqualTo(10);
    }

    @Test
    void planJsonFieldNamesAreSnakeCaseAsDocumented() throws Exception {
        write("001_init.yaml", INIT);
        Cli.Result r = tandem("plan", "--json");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.out()).contains("\"skip_if\"").contains("\"version_schema\"")
                .doesNotContainPattern("\"[a-z]+[A-Z][A-Za-z]*\"\\s*:");
    }

    @Test
    void planNeverCallsRawSqlCatalogOnly() throws Exception {
        write("001_init.yaml", INIT);
        assertThat(tandem("migrate").exitCode()).isZero();
        write("002_raw.yaml", """
                operations:
                  - sql:
                      up: 'CREATE INDEX users_name_idx ON "%1$s".users (name)'
                """.formatted(schema));
        // By default plan runs it in a transaction it rolls back, and reports the locks it saw.
        Cli.Result r = tandem("plan");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        List<String> lines = r.out().lines().toList();
        int raw = lines.indexOf(lines.stream().filter(l -> l.contains("raw SQL from")).findFirst().orElseThrow());
        assertThat(lines.get(raw + 1).strip()).isEqualTo("locks:  SHARE on " + schema + ".users (blocks writes)");
        assertThat(lines.get(raw + 2).strip()).isEqualTo("(measured from pg_locks, not derived from the SQL)");
        assertThat(r.out()).contains("IRREVERSIBLE: the sql operation at").contains("has no `down`");
        assertThat(dev.tandem.testing.Rows.scalar(dev.tandem.testing.Pg.dataSource(), "SELECT to_regclass(?)::text",
                "\"" + schema + "\".users_name_idx")).as("the probe's index was rolled back").isNull();

        r = tandem("plan", "--no-probe");
        lines = r.out().lines().toList();
        raw = lines.indexOf(lines.stream().filter(l -> l.contains("raw SQL from")).findFirst().orElseThrow());
        assertThat(lines.get(raw + 1).strip()).isEqualTo("locks:  unknown (not probed: plan --no-probe)");
        assertThat(lines.get(raw + 2).strip()).isEqualTo("effect: unknown: raw SQL, run as written");
    }

    @Test
    void planPrintsStatementsAndLocksAndChangesNothing() throws Exception {
        write("001_init.yaml", INIT);
        Cli.Result r = tandem("plan");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.out()).contains("migration 001_init (pending)").contains("CREATE TABLE")
                .contains("locks:  ACCESS EXCLUSIVE on " + schema + ".users (blocks reads and writes)");
        assertThat(query("SELECT count(*) FROM pg_namespace WHERE nspname = '" + stateSchema() + "'")).isEqualTo("0");

        assertThat(tandem("migrate").exitCode()).isZero();
        write("002_email.yaml", EMAIL);
        r = tandem("plan");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.out()).contains("migration 002_email (pending)")
                .contains("expand ").contains("ALTER TABLE")
                .contains("locks:  ACCESS EXCLUSIVE on " + schema + ".users (blocks reads and writes)")
                .contains("locks:  SHARE ROW EXCLUSIVE on " + schema + ".users (blocks writes)")
                .contains("locks:  SHARE UPDATE EXCLUSIVE on " + schema + ".users (blocks no reads or writes)")
                .contains("effect: brief: catalog only")
                .contains("backfill ").contains("users in batches by (id)").contains("lower(name) || '@example.org'")
                .contains("contract ").contains("rollback ");
        assertThat(columnExists("users", "email")).isFalse();
        assertThat(check()).isEqualTo(10);

        r = tandem("plan", "--json");
        JsonNode plan = JSON.readTree(r.out());
        assertThat(plan.get("migration").asText()).isEqualTo("002_email");
        assertThat(plan.get("phase").asText()).isEqualTo("pending");
        JsonNode locks = plan.get("plan").get("expand").get(0).get("locks");
        assertThat(locks.get("source").asText()).isEqualTo("derived");
        assertThat(locks.get("tables").get(0).get("schema").asText()).isEqualTo(schema);
        assertThat(locks.get("tables").get(0).get("table").asText()).isEqualTo("users");
        assertThat(locks.get("tables").get(0).get("mode").asText()).isEqualTo("ACCESS EXCLUSIVE");
        assertThat(plan.get("plan").get("backfill").get(0).get("key_columns").get(0).asText()).isEqualTo("id");

        // In flight: the recorded plan.
        assertThat(tandem("expand").exitCode()).isZero();
        r = tandem("plan");
        assertThat(r.out()).contains("migration 002_email (expanded): the plan recorded at its expand");
    }

    @Test
    void passwordNeverAppears() throws Exception {
        String secret = "Pa55wordThatMustNotLeak";
        write("001_init.yaml", INIT);
        write("002_email.yaml", EMAIL);
        String withPassword = url + "&password=" + secret;
        List<Cli.Result> results = new ArrayList<>();
        results.add(tandemAt(withPassword, "plan"));
        results.add(tandemAt(withPassword, "migrate", "-v"));
        results.add(tandemAt(withPassword, "status"));
        results.add(tandemAt(withPassword, "status", "--json"));
        results.add(tandemAt(withPassword, "rollback", "-v"));          // refused, with --verbose stack trace
        results.add(tandemAt(url, "status", "--password=" + secret));
        results.add(tandemAt(url, "contract", "--password", secret, "--json"));
        for (Cli.Result r : results) {
            assertThat(r.all()).as(r.toString()).doesNotContain(secret);
        }
        assertThat(results.get(2).out()).contains("password=***");
        assertThat(results.get(4).exitCode()).isEqualTo(3);
        assertThat(results.get(4).err()).contains("at dev.tandem");
    }

    @Test
    void anotherTandemProcessHoldingTheLockExits4() throws Exception {
        write("001_init.yaml", INIT);
        try (Connection other = connect(); Statement st = other.createStatement()) {
            st.execute("SELECT pg_advisory_lock(hashtextextended('tandem:" + stateSchema() + ":" + schema + "', 0))");
            Cli.Result r = tandem("expand", "--lock-wait", "0s");
            assertThat(r.exitCode()).as(r.toString()).isEqualTo(4);
            assertThat(r.err()).startsWith("tandem: error: another Tandem process");
        }
        assertThat(tandem("expand").exitCode()).isZero();
    }

    @Test
    void statusWarnsOfAChangedFile() throws Exception {
        write("001_init.yaml", INIT);
        assertThat(tandem("migrate").exitCode()).isZero();
        write("001_init.yaml", INIT + "# changed\n");
        Cli.Result r = tandem("status");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.out()).contains("complete !").contains("001_init.yaml was changed after the migration was expanded");
        r = tandem("expand");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("001_init.yaml: the file was changed");
    }

    @Test
    void migrateAfterARolledBackMigrationsFileWasRemoved() throws Exception {
        write("001_init.yaml", INIT);
        assertThat(tandem("migrate").exitCode()).isZero();
        write("002_email.yaml", EMAIL);
        assertThat(tandem("expand").exitCode()).isZero();
        assertThat(tandem("rollback").exitCode()).isZero();
        Files.delete(migrations.resolve("002_email.yaml"));

        assertThat(check()).isZero();
        Cli.Result r = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> tandem("migrate"));
        assertThat(r.exitCode()).as(r.toString()).isZero();
    }

    // ------------------------------------------------------------------ helpers

    Cli.Result tandem(String... args) {
        return tandemAt(url, args);
    }

    Cli.Result tandemAt(String jdbcUrl, String... args) {
        List<String> all = new ArrayList<>(Arrays.asList(args));
        all.addAll(List.of("--url", jdbcUrl, "--schema", schema, "--state-schema", stateSchema(),
                "--migrations", migrations.toString()));
        return Cli.run(all.toArray(String[]::new));
    }

    int check() {
        Cli.Result r = tandem("status", "--check", "--quiet");
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).as(r.toString()).isEmpty();
        return r.exitCode();
    }

    void write(String name, String text) throws IOException {
        Files.writeString(migrations.resolve(name), text);
    }

    static List<JsonNode> lines(String text) {
        return text.lines().filter(l -> !l.isBlank()).map(l -> {
            try {
                return JSON.readTree(l);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + l, e);
            }
        }).toList();
    }

    boolean columnExists(String table, String column) throws SQLException {
        return query("SELECT count(*) FROM information_schema.columns WHERE table_schema = '" + schema
                + "' AND table_name = '" + table + "' AND column_name = '" + column + "'").equals("1");
    }

    static Connection connect() throws SQLException {
        return DriverManager.getConnection(url);
    }

    static void sql(String... statements) throws SQLException {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            for (String s : statements) st.execute(s);
        }
    }

    static String query(String sql) throws SQLException {
        try (Connection c = connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
