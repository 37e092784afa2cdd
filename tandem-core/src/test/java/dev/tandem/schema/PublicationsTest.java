package dev.tandem.schema;

import dev.tandem.Tandem;
import dev.tandem.engine.Plan;
import dev.tandem.migration.MigrationException;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * case: publications — a table that logical replication publishes. Replication sends rows, not DDL: plan says what
 * each subscriber's table needs before expand (every column expand adds, Tandem's own included) and after contract.
 * The subscriber here is a copy of the table in another schema that gets exactly the statements of the notice: after
 * expand it has every column the publisher has, and after contract the publisher's shape.
 */
class PublicationsTest {
    @TempDir
    Path dir;

    private static Tandem tandem(Path dir, String schema) {
        return Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).load();
    }

    private static final String TABLE = "CREATE TABLE %s.users (id int PRIMARY KEY, name text NOT NULL,"
            + " enabled int NOT NULL DEFAULT 1, note text)";

    @Test
    void planSaysWhatEverySubscriberNeedsBeforeExpandAndAfterContract() {
        String schema = Pg.newSchema("pub");
        String subscriber = schema + "_sub";
        Pg.exec("CREATE SCHEMA \"" + subscriber + "\"");
        Pg.exec(TABLE.formatted("\"" + schema + "\"") + "; INSERT INTO \"" + schema + "\".users VALUES (1, 'Ann', 1, 'x')");
        Pg.exec(TABLE.formatted("\"" + subscriber + "\""));
        Pg.exec("CREATE PUBLICATION \"" + schema + "_p\" FOR TABLE \"" + schema + "\".users");
        try {
            new Migrations(dir).write("001_users.yaml", """
                    operations:
                      - rename_column: {table: users, from: name, to: username}
                      - add_column: {table: users, column: {name: email, type: text, nullable: false}, up: "lower(name) || '@x.org'"}
                      - alter_column: {table: users, column: enabled, type: boolean, default: "true", up: "enabled <> 0", down: "CASE WHEN enabled THEN 1 ELSE 0 END"}
                      - drop_column: {table: users, column: note}
                    """);
            Tandem tandem = tandem(dir, schema);
            Plan plan = tandem.plan().plan();
            assertThat(publicationNotices(plan)).hasSize(1);
            String notice = publicationNotices(plan).get(0);
            assertThat(notice).startsWith("table \"" + schema + "\".\"users\" is published by publication \"" + schema
                    + "_p\" (FOR TABLE)").contains("Before `tandem expand`").contains("After `tandem contract`")
                    .contains("views, which are not replicated");
            List<String> before = statements(notice, "Before `tandem expand` \\([^)]*\\): ", "; After");
            List<String> after = statements(notice, "contract, let writes resume, run ", "; then ALTER SUBSCRIPTION");
            assertThat(before).containsExactly(
                    "ALTER TABLE \"" + schema + "\".\"users\" ADD COLUMN IF NOT EXISTS \"email\" text",
                    "ALTER TABLE \"" + schema + "\".\"users\" ADD COLUMN IF NOT EXISTS \"_tandem_new_enabled\" boolean",
                    "ALTER TABLE \"" + schema + "\".\"users\" ADD COLUMN IF NOT EXISTS \"_tandem_backfilled\" boolean");

            for (String sql : before) Pg.exec(sql.replace("\"" + schema + "\".", "\"" + subscriber + "\"."));
            tandem.expand();
            assertThat(columns(subscriber)).as("the subscriber has every column the publisher sends after expand")
                    .containsAll(columns(schema)).hasSameSizeAs(columns(schema));
            tandem.backfill();
            tandem.contract();
            for (String sql : after) Pg.exec(sql.replace("\"" + schema + "\".", "\"" + subscriber + "\"."));
            assertThat(columns(subscriber)).as("the subscriber has the publisher's shape after contract")
                    .isEqualTo(columns(schema)).contains("enabled boolean", "username text").doesNotContain("note text");
        } finally {
            Pg.exec("DROP PUBLICATION \"" + schema + "_p\"");
        }
    }

    private static List<String> columns(String schema) {
        return Rows.query(Pg.dataSource(), "SELECT attname || ' ' || format_type(atttypid, atttypmod) AS c FROM pg_attribute"
                        + " WHERE attrelid = ?::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attname",
                "\"" + schema + "\".users").stream().map(r -> (String) r.get("c")).toList();
    }

    private static List<String> statements(String notice, String from, String to) {
        Matcher m = Pattern.compile(from + "(.*?)" + to).matcher(notice);
        assertThat(m.find()).as(notice).isTrue();
        return List.of(m.group(1).replaceAll(";$", "").split("; "));
    }

    /**
     * The replica identity's index would go with a dropped column (or with drop_index): refused at plan. A column whose
     * type changes takes it along: its index is rebuilt on the new form and marked as the identity again.
     */
    @Test
    void aReplicaIdentityIndexThatContractWouldDropIsRefused() {
        String schema = Pg.newSchema("pubri");
        Pg.exec(("CREATE TABLE %1$s.u (id int PRIMARY KEY, k int NOT NULL, v text);"
                + "CREATE UNIQUE INDEX u_k ON %1$s.u (k); ALTER TABLE %1$s.u REPLICA IDENTITY USING INDEX u_k")
                .formatted("\"" + schema + "\""));
        for (String op : List.of("drop_column: {table: u, column: k}", "drop_index: {name: u_k}")) {
            new Migrations(dir).write("001_k.yaml", "operations:\n  - " + op + "\n");
            assertThatThrownBy(() -> tandem(dir, schema).plan()).as(op).isInstanceOf(MigrationException.class)
                    .hasMessageContaining("001_k.yaml:2")
                    .hasMessageContaining("index \"u_k\" is the replica identity of table \"u\"")
                    .hasMessageContaining("REPLICA IDENTITY DEFAULT");
        }
        new Migrations(dir).write("001_k.yaml", "operations:\n  - alter_column: {table: u, column: k, type: bigint, up: \"k\", down: \"k::int\"}\n");
        assertThat(tandem(dir, schema).plan().plan().carried()).extracting(c -> c.how())
                .anyMatch(how -> how.contains("REPLICA IDENTITY"));
        new Migrations(dir).write("001_k.yaml", "operations:\n  - alter_column: {table: u, column: v, type: varchar(9), up: v, down: v}\n");
        assertThat(publicationNotices(tandem(dir, schema).plan().plan())).as("not published: nothing to say").isEmpty();
    }

    /** PostgreSQL 15+: a column list or row filter that names a column contract drops is refused; one that does not is fine. */
    @Test
    void aColumnListOrRowFilterNamingADroppedColumnIsRefused() {
        String schema = Pg.newSchema("publist");
        Pg.exec("CREATE TABLE \"" + schema + "\".t (id int PRIMARY KEY, a text, b int, c text)");
        assumeTrue(serverVersion() >= 150000, "column lists and row filters came with PostgreSQL 15");
        String q = "\"" + schema + "\".t";
        Pg.exec("CREATE PUBLICATION \"" + schema + "_cols\" FOR TABLE " + q + " (id, a) WITH (publish = 'insert')");
        Pg.exec("CREATE PUBLICATION \"" + schema + "_rows\" FOR TABLE " + q + " WHERE (b > 0) WITH (publish = 'insert')");
        try {
            new Migrations(dir).write("001_x.yaml", "operations:\n  - alter_column: {table: t, column: a, type: varchar(9), up: a, down: a}\n");
            assertThatThrownBy(() -> tandem(dir, schema).plan()).isInstanceOf(MigrationException.class)
                    .hasMessageContaining("publication \"" + schema + "_cols\" (FOR TABLE, column list (id, a))")
                    .hasMessageContaining("names column \"a\"").hasMessageContaining("ALTER PUBLICATION");
            new Migrations(dir).write("001_x.yaml", "operations:\n  - drop_column: {table: t, column: b}\n");
            assertThatThrownBy(() -> tandem(dir, schema).plan()).isInstanceOf(MigrationException.class)
                    .hasMessageContaining("row filter (b > 0)").hasMessageContaining("names column \"b\"");
            // Column c is in neither: the row-filter publication sends every column, so the subscriber needs the shadow.
            new Migrations(dir).write("001_x.yaml", "operations:\n  - alter_column: {table: t, column: c, type: varchar(9), up: c, down: c}\n");
            assertThat(publicationNotices(tandem(dir, schema).plan().plan())).singleElement().asString()
                    .contains("ADD COLUMN IF NOT EXISTS \"_tandem_new_c\" varchar(9)")
                    .contains("DROP COLUMN IF EXISTS \"c\"");
        } finally {
            Pg.exec("DROP PUBLICATION \"" + schema + "_cols\"; DROP PUBLICATION \"" + schema + "_rows\"");
        }
    }

    /** PostgreSQL 15+: a table created in a schema published FOR TABLES IN SCHEMA is published at once. */
    @Test
    void aNewTableInAPublishedSchemaNeedsARefreshOnSubscribers() {
        String schema = Pg.newSchema("pubschema");
        assumeTrue(serverVersion() >= 150000, "FOR TABLES IN SCHEMA came with PostgreSQL 15");
        Pg.exec("CREATE PUBLICATION \"" + schema + "_all\" FOR TABLES IN SCHEMA \"" + schema + "\" WITH (publish = 'insert')");
        try {
            new Migrations(dir).write("001_t.yaml", "operations:\n  - create_table: {table: t, columns: [{name: id, type: int, primary_key: true}]}\n");
            assertThat(publicationNotices(tandem(dir, schema).plan().plan())).singleElement().asString()
                    .startsWith("new table \"" + schema + "\".\"t\" will be published by publication \"" + schema
                            + "_all\" (FOR TABLES IN SCHEMA)").contains("REFRESH PUBLICATION");
        } finally {
            Pg.exec("DROP PUBLICATION \"" + schema + "_all\"");
        }
    }

    private static int serverVersion() {
        return ((Number) Rows.scalar(Pg.dataSource(), "SELECT current_setting('server_version_num')::int")).intValue();
    }

    /** The plan's notices but those saying on which existing rows each up was evaluated (RowChecks). */
    private static List<String> publicationNotices(Plan plan) {
        return plan.notices().stream().filter(n -> !n.startsWith("up of ")).toList();
    }
}
