package dev.tandem.schema;

import dev.tandem.Tandem;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * case: user-trigger-order — the user's BEFORE row triggers keep their meaning for writes of both versions: the
 * value that reaches the other version's column, and the table after contract, is the value after they ran.
 */
class UserTriggersTest {
    @TempDir
    Path dir;

    @Test
    void aUserBeforeTriggerShapesWhatBothVersionsWrite() {
        String schema = Pg.newSchema("user_trg");
        String t = "\"" + schema + "\".t";
        Pg.exec("CREATE TABLE " + t + " (id int PRIMARY KEY, email text NOT NULL, n int NOT NULL DEFAULT 0);"
                + "CREATE FUNCTION \"" + schema + "\".lower_email() RETURNS trigger LANGUAGE plpgsql AS $$"
                + " BEGIN NEW.email := lower(NEW.email); NEW.n := NEW.n + 1; RETURN NEW; END $$;"
                + "CREATE TRIGGER lower_email BEFORE INSERT OR UPDATE ON " + t
                + " FOR EACH ROW EXECUTE FUNCTION \"" + schema + "\".lower_email();"
                + "INSERT INTO " + t + " (id, email) VALUES (9, 'Before@Expand.ORG')");
        new Migrations(dir).write("001_email_varchar.yaml", """
                operations:
                  - alter_column: {table: t, column: email, type: "varchar(100)", up: "email", down: "email"}
                """);
        Tandem tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).load();
        tandem.expand();
        tandem.backfill(); // the new version is ready only then
        var oldVersion = Pg.dataSource(schema);
        var newVersion = Pg.dataSource(schema + "_001_email_varchar");
        Rows.update(oldVersion, "INSERT INTO t (id, email) VALUES (1, 'MiXeD@Example.ORG')");
        Rows.update(newVersion, "INSERT INTO t (id, email) VALUES (2, 'NeW@Example.ORG')");
        Rows.update(newVersion, "UPDATE t SET email = 'UpDated@Example.ORG' WHERE id = 9");

        // Each version reads what the user's trigger made of either version's write, and it fired once per write
        // (row 9: its insert, the backfill's write, which the user's trigger shapes too, and the update).
        for (var version : java.util.List.of(oldVersion, newVersion)) {
            assertThat(Rows.query(version, "SELECT id, email::text AS email, n FROM t ORDER BY id")).containsExactly(
                    java.util.Map.of("id", 1, "email", "mixed@example.org", "n", 1),
                    java.util.Map.of("id", 2, "email", "new@example.org", "n", 1),
                    java.util.Map.of("id", 9, "email", "updated@example.org", "n", 3));
        }
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT count(*) FROM pg_trigger WHERE tgrelid = ?::regclass"
                + " AND tgname LIKE '%tandem_sync%'", t)).isEqualTo(2L);

        tandem.backfill();
        tandem.contract();
        assertThat(Rows.query(Pg.dataSource(), "SELECT email::text AS email FROM " + t + " ORDER BY id")).extracting(r -> r.get("email"))
                .containsExactly("mixed@example.org", "new@example.org", "updated@example.org");
        // After contract the user's trigger is still there, alone, and still shapes writes.
        Rows.update(Pg.dataSource(), "INSERT INTO " + t + " (id, email) VALUES (3, 'LaTe@X.ORG')");
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT email::text FROM " + t + " WHERE id = 3")).isEqualTo("late@x.org");
    }
}
