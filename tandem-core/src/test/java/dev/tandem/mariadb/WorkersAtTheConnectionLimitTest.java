package dev.tandem.mariadb;

import dev.tandem.Tandem;
import dev.tandem.TandemListener;
import dev.tandem.testing.MariaDb;
import dev.tandem.testing.MariaDbServer;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * More backfill workers than the login may open connections ({@code MAX_USER_CONNECTIONS}): the backfill goes on
 * with the connections the server gives, says so once, and fills every row, instead of retrying a refused connection
 * until its retry deadline.
 */
class WorkersAtTheConnectionLimitTest {
    @TempDir
    Path dir;

    @Test
    void theBackfillGoesOnWithTheWorkersTheServerAllowsAndSaysSo() throws Exception {
        String app = MariaDb.newDatabase("app");
        MariaDb.exec(app, "CREATE TABLE items (id BIGINT PRIMARY KEY, qty INT NOT NULL)",
                "INSERT INTO items SELECT seq, seq FROM seq_1_to_3000");
        new Migrations(dir).write("002_wide.yaml", """
                operations:
                  - alter_column: {table: items, column: qty, type: bigint, up: "qty * 10", down: "FLOOR(qty / 10)"}
                """);
        String migrator = MariaDb.newUser("migrator");
        ReadmeGrantsOnMariaDbTest.grantReadme(ReadmeGrantsOnMariaDbTest.readmeGrants(), app, migrator);
        List<String> said = new CopyOnWriteArrayList<>();
        Tandem tandem = Tandem.configure().url(MariaDb.url(app), migrator, MariaDbServer.PASSWORD).schema(app)
                .migrations(dir).batchSize(100, 100).workers(8).niceRatio(0).listener(new TandemListener() {
                    @Override
                    public void message(String text) {
                        said.add(text);
                    }
                }).load();
        try (AutoCloseable trusted = MariaDb.trustFunctionCreators(true)) {
            tandem.expand();
            MariaDb.exec(app, "ALTER USER '" + migrator + "'@'%' WITH MAX_USER_CONNECTIONS 5");
            long started = System.nanoTime();
            tandem.backfill();
            // Far less than the retry deadline (60 s) a refused connection would be retried for.
            assertThat(System.nanoTime() - started).isLessThan(30_000_000_000L);
        }
        assertThat(said).filteredOn(m -> m.contains("refused connection")).hasSize(1).first().asString()
                .contains(" of 8 for the backfill's workers").contains("going on with ");
        assertThat(((Number) Rows.scalar(MariaDb.dataSource(), "SELECT COUNT(*) FROM `" + app + "`.items"
                + " WHERE _tandem_new_qty = qty * 10 AND _tandem_backfilled")).longValue()).isEqualTo(3000L);
        assertThat(tandem.status().current().orElseThrow().rowsDone()).isEqualTo(3000L);
    }
}
