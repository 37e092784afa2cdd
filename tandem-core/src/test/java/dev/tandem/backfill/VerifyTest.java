package dev.tandem.backfill;

import dev.tandem.Tandem;
import dev.tandem.engine.Verifier;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** verify reads only, and finds rows not backfilled yet and rows that break a constraint contract will validate. */
class VerifyTest {
    @TempDir
    Path dir;

    @Test
    void reportsPendingRowsAndViolationsWithSampleKeysThenCleanAfterBackfill() {
        String schema = Pg.newSchema("verify");
        Migrations files = new Migrations(dir).write("001_init.yaml", BackfillTest.TABLE);
        Tandem tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).load();
        tandem.migrate();
        Pg.exec("INSERT INTO \"" + schema + "\".m SELECT g, g FROM generate_series(1, 25000) g");
        files.write("002_checks.yaml", """
                operations:
                  - add_column: {table: m, column: {name: w, type: integer}, up: "v + 1"}
                  - add_constraint: {table: m, name: m_v_small, check: "v <= 24998"}
                """);
        tandem.expand();

        Tandem.VerifyReport before = tandem.verify();
        assertThat(before.clean()).isFalse();
        Verifier.TableReport m = before.tables().get(0);
        assertThat(m.rows()).isEqualTo(25000);
        assertThat(m.findings().get("not backfilled yet").rows()).isEqualTo(25000);
        assertThat(m.findings().get("not backfilled yet").sampleKeys()).containsExactly("1", "2", "3", "4", "5");
        assertThat(m.findings().get("breaks m_v_small").rows()).isEqualTo(2);
        assertThat(m.findings().get("breaks m_v_small").sampleKeys()).containsExactly("24999", "25000");

        Pg.exec("DELETE FROM \"" + schema + "\".m WHERE v > 24998");
        tandem.backfill();
        assertThat(tandem.verify().clean()).isTrue();
    }
}
