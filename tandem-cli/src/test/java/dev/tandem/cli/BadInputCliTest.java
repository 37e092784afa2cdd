package dev.tandem.cli;

import dev.tandem.testing.BadInputCorpus;
import dev.tandem.testing.CatalogSnapshot;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Some of the bad-input corpus through the CLI, as an operator meets it: exit code 2 from plan and from expand, the
 * file:line:column and the message on stderr, and the database as it was. (BadInputCorpusTest runs every case
 * through the library.)
 */
class BadInputCliTest {
    static final String V1 = """
            operations:
              - create_table:
                  table: users
                  columns:
                    - {name: id, type: bigint, primary_key: true, generated: identity}
                    - {name: name, type: text, nullable: false}
                    - {name: enabled, type: integer, nullable: false, default: "1"}
                    - {name: extra, type: text, nullable: false}
              - create_index: {name: users_name_idx, table: users, columns: [name]}
            """;

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"syntax_unclosed_flow_mapping.yaml", "unknown_operation.yaml", "encoding_latin1.yaml",
            "encoding_utf16le_bom.yaml", "inject_up_commit.yaml", "inject_default_commit.yaml", "inject_table.yaml",
            "inject_identifier_escape_sequence.yaml", "nesting_deep_json.json", "combo_not_null_without_up.yaml"})
    void exitsWithTwoAndSaysWhereAndChangesNothing(String file) {
        BadInputCorpus.Case c = BadInputCorpus.cases().stream().filter(k -> k.file().equals(file)).findFirst().orElseThrow();
        String schema = Pg.newSchema("badcli");
        new Migrations(dir).write("001_init.yaml", V1);
        assertThat(tandem(schema, "migrate").exitCode()).isZero();
        Object before = state(schema);
        Path migration = c.writeAsMigration(dir, "002");
        for (String command : List.of("plan", "expand")) {
            Cli.Result r = tandem(schema, command);
            assertThat(r.exitCode()).as(command + ": " + r).isEqualTo(2);
            assertThat(r.err()).as(command).contains(migration + ":" + c.where() + ": ").contains(c.message());
            assertThat(state(schema)).as(command).isEqualTo(before);
        }
    }

    private Cli.Result tandem(String schema, String command) {
        return Cli.run(command, "--url", Pg.url(), "--schema", schema, "--migrations", dir.toString());
    }

    private static Object state(String schema) {
        return List.of(CatalogSnapshot.of(schema),
                Rows.query(Pg.dataSource(), "SELECT nspname FROM pg_namespace WHERE nspname LIKE ? ORDER BY 1", schema + "%"),
                Rows.query(Pg.dataSource(), "SELECT relnamespace::regnamespace::text, relname FROM pg_class WHERE relname LIKE 'tandem_corpus%'"));
    }
}
