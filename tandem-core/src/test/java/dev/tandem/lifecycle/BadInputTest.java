package dev.tandem.lifecycle;

import dev.tandem.Tandem;
import dev.tandem.TandemException;
import dev.tandem.testing.CatalogSnapshot;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Bad input gets a clear error that says where (file and line), the invalid-input exit code, and leaves the
 * database exactly as it was: catalog, version schemas and Tandem's own state.
 */
class BadInputTest {
    @TempDir
    Path dir;
    String schema;
    Tandem tandem;
    Migrations files;

    @BeforeEach
    void setUp() {
        schema = Pg.newSchema("bad");
        files = new Migrations(dir).write("001_init.yaml", UserTableLifecycleTest.V1);
        tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).load();
        tandem.migrate();
    }

    private Object databaseState() {
        return List.of(CatalogSnapshot.of(schema),
                Rows.query(Pg.dataSource(), "SELECT nspname FROM pg_namespace WHERE nspname LIKE ? ORDER BY 1", schema + "%"),
                Rows.query(Pg.dataSource(), "SELECT name, phase, steps_done FROM tandem.migrations WHERE schema_name = ? ORDER BY 1", schema),
                Rows.query(Pg.dataSource(), "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                        + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ?", schema));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            malformed YAML          | 'operations:\\n  - add_column: {table: users\\n    column: x\\n'                               | 002_bad.yaml:3 | invalid YAML
            unknown operation       | 'operations:\\n  - add_colum:\\n      table: users\\n'                                        | 002_bad.yaml:2 | unknown operation 'add_colum'
            unknown field           | 'operations:\\n  - drop_column:\\n      table: users\\n      colum: extra\\n'                  | 002_bad.yaml:4 | colum
            unknown table           | 'operations:\\n  - drop_column: {table: user, column: extra, down: "1"}\\n'                   | 002_bad.yaml:2 | table "user" does not exist
            unknown column          | 'operations:\\n  - rename_column: {table: users, from: nme, to: username}\\n'                 | 002_bad.yaml:2 | column "nme" does not exist
            up with a type error    | 'operations:\\n  - alter_column: {table: users, column: enabled, type: boolean, up: "enabled + 1", down: "1"}\\n' | 002_bad.yaml:2 | up `enabled + 1` is not valid for type boolean
            missing up              | 'operations:\\n  - add_column:\\n      table: users\\n      column: {name: email, type: text, nullable: false}\\n' | 002_bad.yaml:2 | give `up`
            missing down            | 'operations:\\n  - drop_column: {table: users, column: extra}\\n'                              | 002_bad.yaml:2 | give `down`
            unknown type            | 'operations:\\n  - add_column: {table: users, column: {name: x, type: "int; DROP TABLE users"}}\\n' | 002_bad.yaml:2 | which would end the statement
            """)
    void isRefusedWithFileAndLineAndChangesNothing(String what, String yaml, String where, String message) {
        Object before = databaseState();
        files.write("002_bad.yaml", yaml.replace("\\n", "\n"));
        TandemException e = catchThrowableOfType(() -> tandem.expand(), TandemException.class);
        assertThat(e).as(what).isNotNull();
        assertThat(e.kind().exitCode).isEqualTo(2);
        assertThat(e.getMessage()).contains(where).contains(message);
        assertThat(databaseState()).isEqualTo(before);
    }

    @Test
    void aFileEditedAfterExpandIsRefused() {
        files.write("002_email.yaml", """
                operations:
                  - add_column:
                      table: users
                      column: {name: email, type: text}
                """);
        tandem.expand();
        Object before = databaseState();
        files.write("002_email.yaml", """
                operations:
                  - add_column:
                      table: users
                      column: {name: email, type: varchar(200)}
                """);
        for (Runnable command : List.<Runnable>of(tandem::backfill, tandem::contract, tandem::expand)) {
            TandemException e = catchThrowableOfType(command::run, TandemException.class);
            assertThat(e.kind().exitCode).isEqualTo(2);
            assertThat(e.getMessage()).contains("002_email.yaml").contains("was changed after migration 002_email was expanded")
                    .contains("roll the migration back first");
        }
        assertThat(databaseState()).isEqualTo(before);
        // Status tells scripts the same: fix the files first (exit 2 with --check), not "backfill".
        assertThat(tandem.status().next()).isEqualTo(dev.tandem.Status.Next.FIX_FILES);
        // Rollback runs the plan stored at expand, so the way out the message names works.
        assertThat(tandem.rollback().message()).contains("as before its expand");
        assertThat(tandem.expand().message()).contains("expanded 002_email");
    }

    @Test
    void theSecondOfTwoBadOperationsIsNotHalfApplied() {
        Object before = databaseState();
        files.write("002_half.yaml", """
                operations:
                  - add_column:
                      table: users
                      column: {name: email, type: text}
                  - alter_column: {table: users, column: email, type: integer, up: "1", down: "'x'"}
                """);
        TandemException e = catchThrowableOfType(() -> tandem.expand(), TandemException.class);
        assertThat(e.getMessage()).contains("002_half.yaml:5").contains("added or already altered in this migration");
        assertThat(databaseState()).isEqualTo(before);
        assertThat(Rows.query(Pg.dataSource(), "SELECT 1 FROM information_schema.columns WHERE table_schema = ? AND column_name = 'email'", schema))
                .isEqualTo(List.<Map<String, Object>>of());
    }

    /** Tandem's state in the managed schema would show in the version views; in a version schema it would be dropped. */
    @org.junit.jupiter.api.Test
    void aStateSchemaThatClashesIsRefusedUpFront() {
        for (String state : List.of(schema, schema + "_001_init")) {
            TandemException e = catchThrowableOfType(() -> Tandem.configure().dataSource(Pg.dataSource()).migrations(dir)
                    .schema(schema).stateSchema(state).load(), TandemException.class);
            assertThat(e.kind().exitCode).isEqualTo(2);
            assertThat(e.getMessage()).contains("must be neither the schema the migrations change");
        }
    }
}
