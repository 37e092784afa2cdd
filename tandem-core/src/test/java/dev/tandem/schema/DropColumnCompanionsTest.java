package dev.tandem.schema;

import dev.tandem.Tandem;
import dev.tandem.migration.MigrationException;
import dev.tandem.testing.CatalogSnapshot;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What PostgreSQL drops along with a dropped column is never lost unsaid (found by a newcomer: an exclusion
 * constraint over two columns vanished with one of them), and a NULLS NOT DISTINCT unique index cannot be carried to
 * a new form that is NULL until the backfill.
 */
class DropColumnCompanionsTest {
    @TempDir
    Path dir;

    private Tandem tandem(String schema) {
        return Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).load();
    }

    @Test
    void aConstraintOrIndexOverTheDroppedColumnAndOthersIsRefusedUnlessTheMigrationDropsIt() {
        String schema = Pg.newSchema("dropcomp");
        String t = "\"" + schema + "\".r";
        Pg.exec("CREATE TABLE " + t + " (id int PRIMARY KEY, room int, during int4range, code text, note text,"
                + " EXCLUDE USING gist (during WITH &&), CONSTRAINT r_room_code UNIQUE (room, code));"
                + "CREATE INDEX r_note_code ON " + t + " (code) WHERE note IS NOT NULL; CREATE INDEX r_note ON " + t + " (note)");
        var before = CatalogSnapshot.of(schema);
        new Migrations(dir).write("001_drop.yaml", "operations:\n  - drop_column: {table: r, column: code}\n");
        assertThatThrownBy(() -> tandem(schema).plan()).isInstanceOf(MigrationException.class)
                .hasMessageContaining("001_drop.yaml:2").hasMessageContaining("constraint \"r_room_code\" together with other columns")
                .hasMessageContaining("drop_constraint");
        new Migrations(dir).write("001_drop.yaml", "operations:\n  - drop_column: {table: r, column: note}\n");
        assertThatThrownBy(() -> tandem(schema).expand()).isInstanceOf(MigrationException.class)
                .hasMessageContaining("index \"r_note_code\", which covers more than this column").hasMessageContaining("drop_index");
        assertThat(CatalogSnapshot.of(schema)).isEqualTo(before);

        // Dropped by the migration itself, they are fine; what goes with the column alone is said.
        new Migrations(dir).write("001_drop.yaml", """
                operations:
                  - drop_index: {name: r_note_code}
                  - drop_column: {table: r, column: note}
                """);
        assertThat(tandem(schema).plan().plan().notices()).contains("index \"r_note\" on r goes with column note at contract");
        new Migrations(dir).write("001_drop.yaml", "operations:\n  - drop_column: {table: r, column: during}\n");
        assertThat(tandem(schema).plan().plan().notices()).anyMatch(n -> n.contains("goes with column during at contract"));
    }

    @Test
    void aNullsNotDistinctUniqueIndexOverAShadowedColumnIsRefused() {
        String schema = Pg.newSchema("nnd");
        if (Integer.parseInt((String) dev.tandem.testing.Rows.scalar(Pg.dataSource(), "SHOW server_version_num")) < 150000) return;
        Pg.exec("CREATE TABLE \"" + schema + "\".items (id int PRIMARY KEY, code text NOT NULL, label varchar(50));"
                + "CREATE UNIQUE INDEX items_code_label ON \"" + schema + "\".items (code, label) NULLS NOT DISTINCT;"
                + "INSERT INTO \"" + schema + "\".items VALUES (1, 'a', 'x'), (2, 'a', 'y')");
        new Migrations(dir).write("001_label.yaml", """
                operations:
                  - alter_column: {table: items, column: label, type: "varchar(100)", up: "label", down: "label"}
                """);
        assertThatThrownBy(() -> tandem(schema).plan()).isInstanceOf(MigrationException.class)
                .hasMessageContaining("001_label.yaml:2").hasMessageContaining("NULLS NOT DISTINCT")
                .hasMessageContaining("drop_index");
    }
}
