package dev.tandem.lifecycle;

import dev.tandem.Tandem;
import dev.tandem.dialect.Ddl;
import dev.tandem.dialect.Dialect;
import dev.tandem.migration.MigrationException;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.TestDatabase;
import dev.tandem.testing.TestDatabase.OnEveryDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code plan} (and expand, which plans again) evaluates each {@code up} over the rows the table already holds, on
 * every database: a cast that fails on one existing row is refused at the expression's line with the row's key and the
 * server's error, and nothing changes; a small table is tried whole, a large one on a sample, and the plan says which.
 * The rows are read without locks a writer waits for.
 */
class PlanOnExistingRowsTest {
    static final String V1 = """
            operations:
              - create_table:
                  table: users
                  columns:
                    - {name: id, type: bigint, primary_key: true}
                    - {name: nick, type: varchar(20), nullable: false}
            """;

    @TempDir
    Path dir;

    /** An up that turns the text into a number: a cast each database spells its own way, failing on 'abc' in both. */
    private static String toNumber(TestDatabase db) {
        return switch (db) {
            case POSTGRES -> "CAST(nick AS integer)";
            case MARIADB -> "CAST(nick AS SIGNED)";
        };
    }

    private static String v2(TestDatabase db) {
        return """
                operations:
                  - add_column:
                      table: users
                      column: {name: nick_no, type: integer}
                      up: "%s"
                """.formatted(toNumber(db));
    }

    private Tandem migrated(TestDatabase db, String schema, long rows) {
        Path files = dir.resolve(schema);
        assertThat(files.toFile().mkdirs()).isTrue();
        Migrations m = new Migrations(files).write("001_init.yaml", V1);
        Tandem tandem = db.tandem(schema).migrations(files).load();
        tandem.migrate();
        db.exec("INSERT INTO " + db.dialect().qualify(schema, "users") + " SELECT g, CAST(g AS CHAR(20)) FROM " + db.series(rows));
        m.write("002_nick_no.yaml", v2(db));
        return db.tandem(schema).migrations(files).load();
    }

    @OnEveryDatabase
    void aCastThatFailsOnAnExistingRowIsRefusedAtItsLineWithTheRowsKey(TestDatabase db) throws SQLException {
        String schema = db.newSchema("rowchk");
        Tandem tandem = migrated(db, schema, 300);
        db.exec("UPDATE " + db.dialect().qualify(schema, "users") + " SET nick = 'abc' WHERE id = 150");

        assertThatThrownBy(tandem::plan).isInstanceOf(MigrationException.class)
                .hasMessageContainingAll("002_nick_no.yaml:5", "(id)=(150)", "abc", "sync trigger");
        assertThatThrownBy(tandem::expand).isInstanceOf(MigrationException.class).hasMessageContaining("(id)=(150)");
        assertThat(columns(db, schema)).containsExactly("id", "nick");
        assertThat(tandem.status().migrations().stream().filter(m -> m.name().equals("002_nick_no")).findFirst().orElseThrow()
                .phase().name()).isEqualTo("PENDING");

        db.exec("UPDATE " + db.dialect().qualify(schema, "users") + " SET nick = '150' WHERE id = 150");
        assertThat(tandem.plan().plan().notices()).anyMatch(n -> n.contains("up of users (002_nick_no.yaml:5) was"
                + " evaluated on all 300 existing rows"));
    }

    @OnEveryDatabase
    void aLargeTableIsTriedOnASpreadSampleAndThePlanSaysSo(TestDatabase db) {
        String schema = db.newSchema("rowsmp");
        Tandem tandem = migrated(db, schema, 12_000);
        assertThat(tandem.plan().plan().notices()).anyMatch(n -> n.contains("evaluated on a sample of 10000 of 12000"
                + " existing rows"));
        // The sixth window starts at row 6,001 in key order, far past the first window.
        db.exec("UPDATE " + db.dialect().qualify(schema, "users") + " SET nick = 'x1' WHERE id = 6010");
        assertThatThrownBy(tandem::plan).isInstanceOf(MigrationException.class).hasMessageContaining("(id)=(6010)");
    }

    /**
     * Planning reads the table under the lock timeout: a session holding it exclusively for a moment makes expand wait
     * and go on, not fail (it did, with a bare "canceling statement due to lock timeout"); held for good, expand says
     * what held it back and that nothing changed.
     */
    @Test
    void expandRidesOutAMomentaryExclusiveLockAtPlanningAndOtherwiseSaysNothingChanged() throws Exception {
        TestDatabase db = TestDatabase.POSTGRES;
        String schema = db.newSchema("planlock");
        Tandem tandem = migrated(db, schema, 100);
        try (Connection holder = Pg.dataSource().getConnection()) {
            holder.setAutoCommit(false);
            try (var st = holder.createStatement()) {
                st.execute("LOCK TABLE " + db.dialect().qualify(schema, "users") + " IN ACCESS EXCLUSIVE MODE");
            }
            assertThatThrownBy(tandem::expand).isInstanceOf(dev.tandem.TandemException.class)
                    .hasMessageContaining("did not start: planning it gave up 5 times").hasMessageContaining("lock timeout")
                    .hasMessageContaining("Nothing was changed");
            // (The catalog cannot be read here either, while the table is locked: what changed is checked after.)

            java.util.concurrent.CompletableFuture<Void> release = java.util.concurrent.CompletableFuture.runAsync(() -> {
                try {
                    Thread.sleep(1200);
                    holder.rollback();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            tandem.expand();
            release.join();
        }
        assertThat(columns(db, schema)).contains("nick_no");
    }

    /** The check's read holds no lock a writer of those rows waits for, while its transaction is still open. */
    @OnEveryDatabase
    void theRowsAreReadWithoutLocksThatBlockWriters(TestDatabase db) throws SQLException {
        String schema = db.newSchema("rowlck");
        Dialect d = db.dialect();
        db.exec("CREATE TABLE " + d.qualify(schema, "t") + " (id integer PRIMARY KEY, nick varchar(20))",
                "INSERT INTO " + d.qualify(schema, "t") + " VALUES (1, '1'), (2, '2'), (3, '3')");
        try (Connection check = db.dataSource().getConnection(); Connection writer = db.dataSource().getConnection()) {
            check.setAutoCommit(false);
            d.checkExpressionOnRows(check, schema, "t", List.of(new Ddl.ViewColumn("nick", "nick")), List.of("id"),
                    toNumber(db), "integer", 0, 100);
            d.setTimeouts(writer, Duration.ofSeconds(1), Duration.ofSeconds(5));
            long started = System.nanoTime();
            try (Statement st = writer.createStatement()) {
                st.executeUpdate("UPDATE " + d.qualify(schema, "t") + " SET nick = 'z' WHERE id = 2");
                st.executeUpdate("INSERT INTO " + d.qualify(schema, "t") + " VALUES (10, '10')");
            }
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofMillis(500));
            check.rollback();
        }
    }

    private static List<String> columns(TestDatabase db, String schema) throws SQLException {
        try (Connection c = db.dataSource().getConnection()) {
            return db.dialect().readCatalog(c, schema).tables().get("users").columns().stream().map(col -> col.name()).toList();
        }
    }
}
