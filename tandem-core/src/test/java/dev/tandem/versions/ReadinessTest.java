package dev.tandem.versions;

import dev.tandem.Tandem;
import dev.tandem.client.TandemDataSource;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * case: new-version-before-backfill — the new version never reads or writes a row its backfill has not reached: its
 * schema exists only once the backfill completes, the client waits for it, and a session that names it early is
 * refused, not translated.
 */
class ReadinessTest {
    @TempDir
    Path dir;
    String schema;
    Tandem tandem;

    @BeforeEach
    void setUp() {
        schema = Pg.newSchema("ready");
        Pg.exec("CREATE TABLE \"" + schema + "\".t (id int PRIMARY KEY, price numeric(10,2) NOT NULL);"
                + "INSERT INTO \"" + schema + "\".t VALUES (1, 1.50), (2, 1.50)");
        new Migrations(dir).write("001_price.yaml", """
                operations:
                  - alter_column: {table: t, column: price, type: "numeric(14,4)", up: "price", down: "price"}
                """);
        tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).load();
    }

    private String newVersionPath() {
        return "\"" + schema + "_001_price\", \"" + schema + "\"";
    }

    @Test
    void aReadModifyWriteOfTheNewVersionIsRefusedBeforeTheBackfillAndCorrectAfter() {
        tandem.expand();
        assertThat(tandem.status().migrations().get(0).readiness()).isEqualTo("not ready: backfill not started");
        // Named in the URL before it is ready: the update is refused with the reason, never applied as NULL + 1.
        assertThatThrownBy(() -> Rows.update(Pg.dataSource(newVersionPath()), "UPDATE t SET price = price + 1 WHERE id = 1"))
                .hasMessageContaining("which this session cannot use").hasMessageContaining("not ready");
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT price FROM \"" + schema + "\".t WHERE id = 1"))
                .isEqualTo(new BigDecimal("1.50"));

        tandem.backfill();
        assertThat(tandem.status().migrations().get(0).readiness()).isEqualTo("ready");
        var next = Pg.dataSource(newVersionPath());
        Rows.update(next, "UPDATE t SET price = price + 1 WHERE id = 1");
        Rows.update(next, "UPDATE t SET price = coalesce(price, 0) + 1 WHERE id = 2");
        assertThat(Rows.scalar(next, "SELECT count(*) FROM t WHERE price IS NULL")).isEqualTo(0L);
        for (var version : java.util.List.of(Pg.dataSource(schema), next)) {
            assertThat(Rows.query(version, "SELECT id, price::text AS p FROM t ORDER BY id")).extracting(r -> r.get("p"))
                    .containsExactly(version == next ? "2.5000" : "2.50", version == next ? "2.5000" : "2.50");
        }
    }

    @Test
    void theClientWaitsForReadinessAndFailsClearlyWhenItDoesNotCome() throws Exception {
        tandem.expand();
        try (TandemDataSource impatient = TandemDataSource.builder(Pg.dataSource(), "001_price").schema(schema)
                .heartbeat(Duration.ZERO).readyTimeout(Duration.ofMillis(300)).build()) {
            assertThatThrownBy(impatient::getConnection).isInstanceOf(SQLException.class)
                    .hasMessageContaining("version 001_price is not ready").hasMessageContaining("tandem backfill")
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("55000"));
        }
        try (TandemDataSource patient = TandemDataSource.builder(Pg.dataSource(), "001_price").schema(schema)
                .heartbeat(Duration.ZERO).readyTimeout(Duration.ofMinutes(1)).build()) {
            CompletableFuture<Object> read = CompletableFuture.supplyAsync(() -> {
                try (Connection c = patient.getConnection(); var st = c.createStatement();
                     var rs = st.executeQuery("SELECT sum(price) FROM t")) {
                    rs.next();
                    return rs.getBigDecimal(1);
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(500);
            assertThat(read).as("no connection before the version is ready").isNotDone();
            tandem.backfill();
            assertThat(read.get(30, TimeUnit.SECONDS)).isEqualTo(new BigDecimal("3.0000"));
        }
    }

    @Test
    void aVersionThatWillNeverComeFailsAtOnce() {
        try (TandemDataSource ds = TandemDataSource.builder(Pg.dataSource(), "001_price").schema(schema)
                .heartbeat(Duration.ZERO).build()) {
            assertThatThrownBy(ds::getConnection).isInstanceOf(SQLException.class)
                    .hasMessageContaining("is not being backfilled");
        }
    }

    @Test
    void expandWithoutABackfillIsReadyAtOnce() {
        new Migrations(dir).write("001_price.yaml", """
                operations:
                  - rename_column: {table: t, from: price, to: amount}
                """);
        tandem.expand();
        assertThat(tandem.status().migrations().get(0).ready()).isTrue();
        assertThat(Rows.scalar(Pg.dataSource(newVersionPath()), "SELECT sum(amount) FROM t")).isEqualTo(new BigDecimal("3.00"));
    }
}
