package dev.tandem.lifecycle;

import dev.tandem.Tandem;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.sql.DataSource;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Names with quotes, spaces, capitals, reserved words and SQL in them are names, never SQL. */
class IdentifierTest {
    @TempDir
    Path dir;

    @Test
    void oddNamesWorkThroughTheWholeLifecycleAndInjectNothing() {
        String schema = Pg.newSchema("Odd Schema");
        Pg.exec("CREATE TABLE \"" + schema + "\".canary (id int)");
        Migrations files = new Migrations(dir).write("001_init.yaml", """
                operations:
                  - create_table:
                      table: "Order Items"
                      columns:
                        - {name: id, type: bigint, primary_key: true, generated: identity}
                        - {name: select, type: text, nullable: false}
                        - {name: 'it''s "quoted"', type: integer, nullable: false, default: "0"}
                """);
        Tandem tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).load();
        tandem.migrate();
        DataSource v1 = Pg.dataSource("\"" + schema + "_001_init\"");
        Rows.update(v1, "INSERT INTO \"Order Items\" (\"select\", \"it's \"\"quoted\"\"\") VALUES ('a', 1), ('b', 2)");

        files.write("002_rename.yaml", """
                operations:
                  - rename_column: {table: "Order Items", from: select, to: "x\\"); DROP TABLE canary; --"}
                  - alter_column:
                      table: "Order Items"
                      column: 'it''s "quoted"'
                      type: bigint
                      up: '"it''s ""quoted""\" * 10'
                      down: '("it''s ""quoted""\" / 10)::integer'
                  - rename_table: {from: "Order Items", to: "User"}
                  - create_index: {name: "Weird Index", table: "User", columns: ['x"); DROP TABLE canary; --']}
                """);
        tandem.migrate();

        DataSource v2 = Pg.dataSource("\"" + schema + "_002_rename\"");
        assertThat(Rows.query(v2, "SELECT \"x\"\"); DROP TABLE canary; --\" AS v, \"it's \"\"quoted\"\"\" AS q FROM \"User\" ORDER BY id"))
                .containsExactly(Map.of("v", "a", "q", 10L), Map.of("v", "b", "q", 20L));
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT count(*) FROM \"" + schema + "\".canary")).isEqualTo(0L);
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT count(*) FROM pg_indexes WHERE schemaname = ? AND indexname = 'Weird Index'", schema))
                .isEqualTo(1L);
    }
}
