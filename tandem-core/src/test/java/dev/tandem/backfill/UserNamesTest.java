package dev.tandem.backfill;

import dev.tandem.Tandem;
import dev.tandem.TandemException;
import dev.tandem.migration.MigrationException;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.SQLException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** What users read names their columns and versions, never a name Tandem made up for itself. */
class UserNamesTest {
    static final String NOT_NULL_W = """
            operations:
              - add_column: {table: m, column: {name: w, type: integer, nullable: false}, up: "CASE WHEN id % 2 = 0 THEN v END"}
            """;

    @TempDir
    Path dir;

    private Tandem setUp(String schema, String v2) {
        Migrations files = new Migrations(dir).write("001_init.yaml", BackfillTest.TABLE);
        Tandem tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).load();
        tandem.migrate();
        Pg.exec("INSERT INTO \"" + schema + "\".m SELECT g, g FROM generate_series(1, 10) g");
        files.write("002_w.yaml", v2);
        return tandem;
    }

    /** The NOT NULL the new version asks for stands in as a check until contract; its name is what the app reads. */
    @Test
    void anApplicationWritingANullIsToldWhichColumnAndVersionRefuseIt() {
        String schema = Pg.newSchema("nn");
        Tandem tandem = setUp(schema, NOT_NULL_W);
        tandem.expand();
        // The previous version's write, which up() turns into a NULL w (the new version is not ready before the backfill).
        Throwable refused = catchThrowable(() -> Rows.update(Pg.dataSource(schema + "_001_init"),
                "INSERT INTO m (id, v) VALUES (101, 1)"));
        assertThat(refused).hasRootCauseInstanceOf(SQLException.class);
        assertThat(refused.getCause().getMessage()).contains("\"w is NOT NULL in version 002_w\"").doesNotContain("_tandem");

        // The backfill's own writes are checked the same way, and its error says the same.
        TandemException failed = catchThrowableOfType(tandem::backfill, TandemException.class);
        assertThat(failed.getMessage()).contains("\"w is NOT NULL in version 002_w\"").doesNotContain("_tandem");
    }

    /** A database message about a shadow column, the done flag or the sync trigger, as a failed batch reports it. */
    @Test
    void databaseMessagesAboutTandemsObjectsAreSaidInTheUsersTerms() {
        assertThat(dev.tandem.engine.Names.forUser("column \"_tandem_new_flag\" of relation \"b\" is of type boolean;"
                + " \"_tandem_backfilled\"; trigger \"_tandem_sync_002_w\""))
                .isEqualTo("column \"flag\" (its new version's form) of relation \"b\" is of type boolean;"
                        + " Tandem's backfill flag; trigger Tandem's sync trigger for 002_w");
    }

    @Test
    void anUpExpressionOfTheWrongTypeIsNotExplainedWithTandemsProbeColumn() {
        String schema = Pg.newSchema("probe");
        Tandem tandem = setUp(schema, """
                operations:
                  - alter_column: {table: m, column: v, type: boolean, up: "v + 1", down: "1"}
                """);
        MigrationException bad = catchThrowableOfType(tandem::expand, MigrationException.class);
        assertThat(bad.getMessage()).contains("002_w.yaml:2")
                .contains("the column is of type boolean but the expression is of type integer")
                .doesNotContain("\"v\" is of type").doesNotContain("_tandem");
    }
}
