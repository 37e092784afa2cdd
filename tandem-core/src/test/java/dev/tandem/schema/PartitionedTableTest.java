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
 * A partitioned table is migrated through its parent: applications use the parent, so the version schema has a view
 * of the parent only (views of the partitions blocked contract's drop of the old column).
 */
class PartitionedTableTest {
    @TempDir
    Path dir;

    @Test
    void aTypeChangeAndANewNotNullColumnOnAPartitionedTable() {
        String schema = Pg.newSchema("parts");
        String m = "\"" + schema + "\".m";
        Pg.exec("CREATE TABLE " + m + " (id int, k int, v text, PRIMARY KEY (id, k)) PARTITION BY RANGE (k);"
                + "CREATE TABLE \"" + schema + "\".m1 PARTITION OF " + m + " FOR VALUES FROM (0) TO (10);"
                + "CREATE TABLE \"" + schema + "\".m2 PARTITION OF " + m + " FOR VALUES FROM (10) TO (20);"
                + "INSERT INTO " + m + " SELECT g, g % 20, 'v' || g FROM generate_series(1, 200) g");
        new Migrations(dir).write("001_x.yaml", """
                operations:
                  - alter_column: {table: m, column: v, type: "varchar(20)", up: "v", down: "v"}
                  - add_column: {table: m, column: {name: w, type: text, nullable: false}, up: "upper(v)"}
                """);
        Tandem tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).load();
        tandem.expand();
        tandem.backfill(); // the new version is ready only then
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT count(*) FROM information_schema.views WHERE table_schema = ?",
                schema + "_001_x")).isEqualTo(1L);
        Rows.update(Pg.dataSource(schema), "INSERT INTO m VALUES (1000, 5, 'old')");
        Rows.update(Pg.dataSource(schema + "_001_x"), "INSERT INTO m VALUES (1001, 15, 'new', 'NEW!')");
        tandem.backfill();
        tandem.contract();
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT w FROM " + m + " WHERE id = 7")).isEqualTo("V7");
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT w FROM " + m + " WHERE id = 1000")).isEqualTo("OLD");
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT w FROM " + m + " WHERE id = 1001")).isEqualTo("NEW!");
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT count(*) FROM " + m + " WHERE w IS NULL")).isEqualTo(0L);
    }
}
