package dev.tandem.client;

import dev.tandem.Tandem;
import dev.tandem.TandemException;
import dev.tandem.dialect.mariadb.MariaDbDialect;
import dev.tandem.dialect.postgres.PostgresDialect;
import dev.tandem.testing.MariaDb;
import dev.tandem.testing.MariaDbServer;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Tandem and the application's data source find their dialect and, on MariaDB, the managed database by themselves;
 * an application instance on MariaDB gets its version database and names its version for the sync triggers.
 */
class TandemOnMariaDbTest {
    @TempDir
    Path migrations;

    @Test
    void aMariaDbUrlChoosesTheDialectAndItsDatabaseIsTheSchema() {
        String db = MariaDb.newDatabase("app");
        Tandem tandem = Tandem.configure().url(MariaDb.url(db), "root", MariaDbServer.PASSWORD).migrations(migrations).load();
        assertThat(tandem.dialect()).isInstanceOf(MariaDbDialect.class);
        assertThat(tandem.schema()).isEqualTo(db);
        assertThat(tandem.status().migrations()).isEmpty();

        // A DataSource says nothing of its server until it connects.
        Tandem fromDataSource = Tandem.configure().dataSource(MariaDb.dataSource(db)).migrations(migrations).load();
        assertThat(fromDataSource.dialect()).isInstanceOf(MariaDbDialect.class);
        assertThat(fromDataSource.schema()).isEqualTo(db);
        Tandem postgres = Tandem.configure().dataSource(Pg.dataSource()).migrations(migrations).load();
        assertThat(postgres.dialect()).isInstanceOf(PostgresDialect.class);
        assertThat(postgres.schema()).isEqualTo("public");
    }

    @Test
    void aMariaDbUrlWithoutADatabaseNeedsASchema() {
        assertThatThrownBy(() -> Tandem.configure().url(MariaDb.url(), "root", MariaDbServer.PASSWORD).migrations(migrations).load())
                .isInstanceOf(TandemException.class).hasMessageContaining("no default database");
        String db = MariaDb.newDatabase("named");
        assertThat(Tandem.configure().url(MariaDb.url(), "root", MariaDbServer.PASSWORD).schema(db).migrations(migrations)
                .load().schema()).isEqualTo(db);
    }

    @Test
    void otherUrlsAreRefusedWithTheirPasswordMasked() {
        assertThatThrownBy(() -> Tandem.configure().url("jdbc:sqlserver://h;password=Secret1", null, null))
                .isInstanceOf(TandemException.class).hasMessageContaining("unsupported JDBC URL")
                .hasMessageNotContaining("Secret1");
    }

    @Test
    void anInstanceUsesItsVersionDatabaseNamesItsVersionAndBeats() throws Exception {
        String db = MariaDb.newDatabase("shop");
        MariaDb.exec("CREATE DATABASE " + MariaDb.quote(db + "_002_email"));
        String stateDb = MariaDb.newDatabase("state");
        Tandem tandem = Tandem.configure().dataSource(MariaDb.dataSource(db)).stateSchema(stateDb).migrations(migrations).load();
        try (TandemDataSource app = TandemDataSource.builder(MariaDb.dataSource(db), "002_email").stateSchema(stateDb)
                .instanceId("node-1").heartbeat(Duration.ofMillis(100)).build();
             Connection c = app.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT DATABASE(), @tandem_version")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo(db + "_002_email");
            assertThat(rs.getString(2)).isEqualTo("002_email");
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (tandem.status().instances().isEmpty() && System.nanoTime() < deadline) Thread.sleep(50);
            assertThat(tandem.status().instances()).singleElement().satisfies(i -> {
                assertThat(i.id()).isEqualTo("node-1");
                assertThat(i.version()).isEqualTo("002_email");
                assertThat(i.heartbeat()).isTrue();
            });
            app.close();
            assertThat(tandem.status().instances()).isEmpty();
        }
        assertThat(Rows.scalar(MariaDb.dataSource(), "SELECT COUNT(*) FROM " + MariaDb.quote(stateDb) + ".instance_versions"))
                .isEqualTo(0L);
    }

    @Test
    void aVersionThatIsNotExpandedIsNotWaitedFor() {
        String db = MariaDb.newDatabase("early");
        try (TandemDataSource app = TandemDataSource.builder(MariaDb.dataSource(db), "003_none").stateSchema(MariaDb.newDatabase("state"))
                .heartbeat(Duration.ZERO).build()) {
            assertThatThrownBy(app::getConnection).isInstanceOf(SQLException.class)
                    .hasMessageContaining("has no schema " + db + "_003_none");
        }
    }

    /**
     * A DataSource without allowMultiQueries (the drivers' default) is refused when Tandem first connects, saying what
     * to add, instead of failing halfway through expand at the sync triggers (1064); a URL given to Tandem works.
     */
    @Test
    void aDataSourceThatSendsOneStatementPerCallIsRefusedSayingWhatToAdd() throws Exception {
        String db = MariaDb.newDatabase("multi");
        MariaDb.exec(db, "CREATE TABLE t (id INT PRIMARY KEY, n INT)");
        java.nio.file.Files.writeString(migrations.resolve("001_add.yaml"), """
                operations:
                  - add_column: {table: t, column: {name: m, type: int}, up: "n"}
                """);
        org.mariadb.jdbc.MariaDbDataSource plain = new org.mariadb.jdbc.MariaDbDataSource(MariaDb.url(db)
                + "?user=root&password=" + MariaDbServer.PASSWORD);
        Tandem tandem = Tandem.configure().dataSource(plain).migrations(migrations).load();
        assertThatThrownBy(tandem::expand).isInstanceOfSatisfying(TandemException.class,
                e -> assertThat(e.kind()).isEqualTo(TandemException.Kind.INVALID_INPUT))
                .hasMessageContaining("allowMultiQueries=true");
        assertThat(Rows.query(MariaDb.dataSource(), "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE"
                + " TABLE_SCHEMA = ? AND TABLE_NAME = 't'", db)).hasSize(2);
        Tandem.configure().url(MariaDb.url(db), "root", MariaDbServer.PASSWORD).migrations(migrations).load().expand();
    }
}
