package dev.tandem.lifecycle;

import dev.tandem.Tandem;
import dev.tandem.TandemException;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What the server lacks for a migration is refused at plan and before expand changes anything, every problem at once
 * with the statement a DBA runs (Dialect.checkServer; on PostgreSQL: CREATE on the database, CREATE on an existing
 * state schema, ownership of the changed tables). Refused is exit code 3, as for any refusal.
 */
class ServerCheckTest {
    @TempDir
    Path dir;

    @Test
    void planListsEverythingTheRoleLacksWithTheGrantsThatGiveIt() throws Exception {
        String schema = Pg.newSchema("checked");
        String owner = schema + "_owner", migrator = schema + "_migrator";
        Pg.exec(("CREATE ROLE %2$s LOGIN NOSUPERUSER; CREATE ROLE %3$s LOGIN NOSUPERUSER;"
                + "CREATE TABLE %1$s.users (id int PRIMARY KEY, name text); CREATE TABLE %1$s.orders (id int PRIMARY KEY);"
                + "ALTER TABLE %1$s.users OWNER TO %2$s; ALTER TABLE %1$s.orders OWNER TO %2$s; GRANT USAGE ON SCHEMA %1$s TO %3$s;"
                + "CREATE SCHEMA %4$s AUTHORIZATION %2$s; GRANT USAGE ON SCHEMA %4$s TO %3$s")
                .formatted(q(schema), q(owner), q(migrator), q(schema + "_state")));
        new Migrations(dir).write("001_note.yaml", """
                operations:
                  - add_column: {table: users, column: {name: note, type: text}}
                """);
        Tandem tandem = Tandem.configure().dataSource(Pg.dataSourceAs(migrator)).migrations(dir).schema(schema)
                .stateSchema(schema + "_state").load();

        assertThatThrownBy(tandem::plan).isInstanceOfSatisfying(TandemException.class, e -> {
            assertThat(e.kind()).as(e.getMessage()).isEqualTo(TandemException.Kind.REFUSED);
            assertThat(e.getMessage()).isEqualTo("migration 001_note cannot run on this server as this login; nothing"
                    + " was changed. What is missing, and what to do:\n"
                    + "  - CREATE on database \"postgres\" (to create the version schema " + schema + "_001_note, and the"
                    + " state schema if it does not exist). Run: GRANT CREATE ON DATABASE \"postgres\" TO " + q(migrator) + ";\n"
                    + "  - CREATE on the state schema " + q(schema + "_state") + " (for Tandem's state tables)."
                    + " Run: GRANT CREATE ON SCHEMA " + q(schema + "_state") + " TO " + q(migrator) + ";\n"
                    + "  - ownership of table " + q(schema) + ".\"users\", which the migration changes (it belongs to "
                    + q(owner) + "). Run: GRANT " + q(owner) + " TO " + q(migrator) + "; (or ALTER TABLE " + q(schema)
                    + ".\"users\" OWNER TO " + q(migrator) + ";)");
        });

        // orders is not changed, so its owner does not matter; the statements given are what the DBA runs.
        Pg.exec("GRANT CREATE ON DATABASE postgres TO " + q(migrator) + "; GRANT " + q(owner) + " TO " + q(migrator)
                + "; GRANT CREATE ON SCHEMA " + q(schema + "_state") + " TO " + q(migrator));
        assertThat(tandem.plan().plan().expand()).isNotEmpty();
        tandem.expand();
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT count(*) FROM information_schema.columns WHERE table_schema = ?"
                + " AND table_name = 'users' AND column_name = 'note'", schema)).isEqualTo(1L);
    }

    @Test
    void expandRefusesBeforeChangingAnything() throws Exception {
        String schema = Pg.newSchema("checked");
        String owner = schema + "_owner", migrator = schema + "_migrator", state = schema + "_state";
        // CREATE on the database is there: Tandem's state tables are installed (they are Tandem's, before any check),
        // and the table's owner is missing.
        Pg.exec(("CREATE ROLE %2$s LOGIN NOSUPERUSER; CREATE ROLE %3$s NOLOGIN;"
                + "CREATE TABLE %1$s.users (id int PRIMARY KEY, name text); ALTER TABLE %1$s.users OWNER TO %3$s;"
                + "GRANT USAGE ON SCHEMA %1$s TO %2$s; GRANT CREATE ON DATABASE postgres TO %2$s")
                .formatted(q(schema), q(migrator), q(owner)));
        new Migrations(dir).write("001_email.yaml", """
                operations:
                  - add_column: {table: users, column: {name: email, type: text}, up: "lower(name)"}
                """);
        Tandem tandem = Tandem.configure().dataSource(Pg.dataSourceAs(migrator)).migrations(dir).schema(schema)
                .stateSchema(state).load();

        assertThatThrownBy(tandem::expand).isInstanceOfSatisfying(TandemException.class, e -> {
            assertThat(e.kind()).as(e.getMessage()).isEqualTo(TandemException.Kind.REFUSED);
            assertThat(e.getMessage()).contains("ownership of table " + q(schema) + ".\"users\"",
                    "Run: GRANT " + q(owner) + " TO " + q(migrator)).doesNotContain("CREATE ON");
        });
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT count(*) FROM information_schema.columns WHERE table_schema = ?"
                + " AND table_name = 'users'", schema)).isEqualTo(2L);
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT count(*) FROM pg_namespace WHERE nspname = ?", schema + "_001_email"))
                .isEqualTo(0L);
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT count(*) FROM " + q(state) + ".migrations")).isEqualTo(0L);
    }

    private static String q(String name) {
        return "\"" + name + "\"";
    }
}
